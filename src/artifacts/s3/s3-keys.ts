import { ARTIFACT_ROOT, type ArtifactPath, parseArtifactPath } from '../../core/artifact-path.ts';
import { MlflowError } from '../../core/errors.ts';

/**
 * Maps artifact paths to S3 keys below one key prefix: `<prefix>/<path>`, with exactly one slash
 * between them (none when the prefix is empty, i.e. the bucket's root). Keys coming back from S3
 * are mapped back only when they lie below the prefix and form a valid ArtifactPath, so objects
 * written by other tools with odd names (`a//b`, `x/../y`, a `dir/` marker) are never surfaced.
 */
export class S3KeyMap {
  /** The normalised prefix: no leading or trailing slash; '' for the bucket's root. */
  readonly root: string;

  constructor(prefix: string) {
    const trimmed = prefix.replace(/^\/+|\/+$/g, '');
    if (trimmed !== '') {
      try {
        parseArtifactPath(trimmed);
      } catch (error) {
        const why = error instanceof MlflowError ? error.message : String(error);
        throw MlflowError.invalidParameter(`Invalid S3 key prefix '${prefix}': ${why}`);
      }
    }
    this.root = trimmed;
  }

  /** The key of the object at `path`; the root is a directory, never an object. */
  objectKey(path: ArtifactPath): string {
    if (path === ARTIFACT_ROOT) throw MlflowError.invalidParameter('Invalid artifact path: a file path is required');
    return this.root === '' ? path : `${this.root}/${path}`;
  }

  /** The key prefix of everything below the directory `path` (ends with '/', or '' for an empty root). */
  dirPrefix(path: ArtifactPath): string {
    if (path === ARTIFACT_ROOT) return this.root === '' ? '' : `${this.root}/`;
    return `${this.objectKey(path)}/`;
  }

  /**
   * The artifact path of `key` when it lies below the prefix and is a valid path; undefined for
   * anything else (a directory marker, an empty segment, a key outside the prefix).
   */
  pathOf(key: string): ArtifactPath | undefined {
    const base = this.dirPrefix(ARTIFACT_ROOT);
    if (!key.startsWith(base)) return undefined;
    const relative = key.slice(base.length);
    if (relative === '' || relative.endsWith('/')) return undefined;
    try {
      const path = parseArtifactPath(relative);
      // parseArtifactPath accepts some spellings it normalises; only an exact round trip is ours.
      return path === relative ? path : undefined;
    } catch {
      return undefined;
    }
  }
}

/** S3 returns quoted ETags (`"abc…"`); the manifest and comparisons use the bare value. */
export function unquoteEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** S3 orders keys by their UTF-8 bytes, which differs from JavaScript's UTF-16 string order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
