import { createHash } from 'node:crypto';
import type { ArtifactRepository, FileInfo } from '../artifacts/artifact-repository.ts';
import { ARTIFACT_ROOT, type ArtifactPath } from '../core/artifact-path.ts';

/**
 * The store side of `plumb doctor artifacts`: a depth-first walk over the repository's listing
 * (a page of files at a time, so memory stays flat however large the store), and hashing an
 * object while it streams.
 */

const PAGE = 1000;

/** Calls `onFiles` with every page of files below the root, skipping directories `skip` says to. */
export async function walkStore(
  repository: ArtifactRepository,
  skip: (path: ArtifactPath) => boolean,
  onFiles: (files: readonly FileInfo[]) => Promise<void>,
): Promise<void> {
  const stack: ArtifactPath[] = [ARTIFACT_ROOT];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let pageToken: string | undefined;
    do {
      const page = await repository.list(dir, { pageToken, maxResults: PAGE });
      const files: FileInfo[] = [];
      for (const entry of page.files) {
        if (skip(entry.path)) continue;
        if (entry.isDir) stack.push(entry.path);
        else files.push(entry);
      }
      if (files.length > 0) await onFiles(files);
      pageToken = page.nextPageToken;
    } while (pageToken);
  }
}

/** Reads the object once; its size and sha256 (hex) as stored. */
export async function digestObject(
  repository: ArtifactRepository,
  path: ArtifactPath,
): Promise<{ size: number; sha256: string }> {
  const { body } = await repository.get(path);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Runs `work` on every item, at most `limit` at a time. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Keeps a uniform random sample of `size` of the items offered (reservoir sampling). */
export class Reservoir<T> {
  private readonly items: T[] = [];
  private seen = 0;

  constructor(
    private readonly size: number,
    private readonly random: () => number = Math.random,
  ) {}

  offer(item: T): void {
    this.seen++;
    if (this.items.length < this.size) this.items.push(item);
    else {
      const slot = Math.floor(this.random() * this.seen);
      if (slot < this.size) this.items[slot] = item;
    }
  }

  get sample(): readonly T[] {
    return this.items;
  }
}

/** Collects up to `cap` examples of something while counting every occurrence. */
export class Tally {
  readonly items: string[] = [];
  count = 0;

  constructor(private readonly cap: number) {}

  add(item: string): void {
    this.count++;
    if (this.items.length < this.cap) this.items.push(item);
  }
}
