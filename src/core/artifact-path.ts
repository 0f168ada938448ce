import { MlflowError } from './errors.ts';

/**
 * A POSIX path relative to an artifact root: never absolute, never with `.`/`..` or empty segments,
 * no backslash, NUL, control character, `?` or `#`, in any percent-decoded form. Only
 * `parseArtifactPath` makes one, so a backend that receives an ArtifactPath may join it to its
 * root without further checks. The empty path is the root itself.
 */
export type ArtifactPath = string & { readonly __brand: 'ArtifactPath' };

export const ARTIFACT_ROOT = '' as ArtifactPath;

/** Enough rounds to see through any realistic stack of encodings (`%25252e` …). */
const MAX_DECODE_ROUNDS = 8;

function invalid(raw: string, why: string): MlflowError {
  return MlflowError.invalidParameter(`Invalid artifact path '${raw}': ${why}`);
}

function checkForm(raw: string, form: string): void {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(form)) throw invalid(raw, 'control characters are not allowed');
  if (form.includes('\\')) throw invalid(raw, 'backslashes are not allowed');
  if (form.includes('#') || form.includes('?')) throw invalid(raw, "'#' and '?' are not allowed");
  if (form.startsWith('/')) throw invalid(raw, 'absolute paths are not allowed');
  if (/^[A-Za-z]:/.test(form)) throw invalid(raw, 'drive letters are not allowed');
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\//.test(form)) throw invalid(raw, 'URIs are not allowed');
  const segments = form.split('/');
  if (segments.some((s) => s === '..' || s === '.')) throw invalid(raw, "'.' and '..' segments are not allowed");
  if (segments.some((s) => s === '')) throw invalid(raw, 'empty path segments are not allowed');
}

/**
 * Validates a path taken from a request (already URL-decoded once by the HTTP layer) and returns
 * it unchanged when safe. Every further percent-decoding of it is checked too, because some
 * storage layer or client may decode again (MLflow's `validate_path_is_safe` does the same).
 */
export function parseArtifactPath(raw: string, options: { allowRoot?: boolean } = {}): ArtifactPath {
  const trimmed = raw.replace(/\/+$/, '');
  if (trimmed === '') {
    if (options.allowRoot) return ARTIFACT_ROOT;
    throw invalid(raw, 'a file path is required');
  }
  if (trimmed.length > 4096) throw invalid(raw.slice(0, 80), 'the path is too long');
  let form = trimmed;
  checkForm(raw, form);
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const decoded = lenientDecode(form);
    if (decoded === form) return trimmed as ArtifactPath;
    checkForm(raw, decoded);
    form = decoded;
  }
  throw invalid(raw, 'too many levels of percent-encoding');
}

/**
 * Percent-decoding as lenient decoders do it (Python's unquote, many storage gateways): every
 * valid `%XX` becomes its byte and bytes that are not UTF-8 become U+FFFD, instead of giving up
 * on the whole string at the first bad escape — which would let `%2e%2e/%c0` skip the checks.
 */
function lenientDecode(value: string): string {
  if (!value.includes('%')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const escape = value[i] === '%' ? /^[0-9a-fA-F]{2}$/.exec(value.slice(i + 1, i + 3)) : null;
    if (escape) {
      bytes.push(Number.parseInt(escape[0], 16));
      i += 2;
    } else {
      const codePoint = value.codePointAt(i)!;
      const char = String.fromCodePoint(codePoint);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length - 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function joinArtifactPath(base: ArtifactPath, ...parts: readonly string[]): ArtifactPath {
  const joined = [base, ...parts].filter((p) => p !== '').join('/');
  return parseArtifactPath(joined, { allowRoot: true });
}

/** The last segment of a path. */
export function baseName(path: ArtifactPath): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
