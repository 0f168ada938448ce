import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, lstat, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ArtifactPath, parseArtifactPath } from '../../core/artifact-path.ts';
import { MlflowError } from '../../core/errors.ts';
import type {
  ArtifactRepository,
  CompletedPart,
  FileInfo,
  ListPage,
  ObjectInfo,
  PendingUpload,
  PutOptions,
} from '../artifact-repository.ts';

/** Uploads in progress live here, inside the root so that the final rename never crosses filesystems. */
const WORK_DIR = '.plumb-uploads';
const DEFAULT_PAGE = 1000;
/** Larger writes than the stream default (16 KiB): several times the throughput for big artifacts. */
const WRITE_BUFFER = 1024 * 1024;

function notFound(path: string): MlflowError {
  return MlflowError.notFound(`Artifact '${path}' does not exist`);
}

function etagOf(size: number, mtimeMs: number): string {
  return `${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}`;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Artifacts on a local (or mounted) filesystem. Writes go to a temporary file that is fsynced and
 * renamed into place, so a reader sees the old object or the whole new one, never a part. Symbolic
 * links inside the root are never followed: a path through one is treated as missing on read and
 * refused on write.
 */
export class LocalArtifactRepository implements ArtifactRepository {
  readonly capabilities = { multipartUpload: true };
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `file://${root}`;
  }

  private checkReserved(path: ArtifactPath): void {
    if (path === WORK_DIR || path.startsWith(`${WORK_DIR}/`)) {
      throw MlflowError.invalidParameter(`Invalid artifact path '${path}': '${WORK_DIR}' is reserved`);
    }
  }

  /**
   * The absolute location of `path` after checking that no existing component below the root is
   * a symbolic link (lstat, never stat). Returns undefined when a component is a link.
   */
  private async locate(path: ArtifactPath): Promise<string | undefined> {
    this.checkReserved(path);
    let current = this.root;
    for (const segment of path === '' ? [] : path.split('/')) {
      current = join(current, segment);
      try {
        if ((await lstat(current)).isSymbolicLink()) return undefined;
      } catch (error) {
        if (isMissing(error)) return join(this.root, path);
        throw error;
      }
    }
    return current;
  }

  private async locateForWrite(path: ArtifactPath): Promise<string> {
    const target = await this.locate(path);
    if (target === undefined) {
      throw MlflowError.invalidParameter(`Invalid artifact path '${path}': it passes through a symbolic link`);
    }
    return target;
  }

  private async workFile(): Promise<string> {
    const dir = join(this.root, WORK_DIR);
    await mkdir(dir, { recursive: true });
    return join(dir, randomUUID());
  }

  /** Writes a stream to a temp file and fsyncs it; the caller renames it into place. */
  private async writeTemp(body: Readable, signal?: AbortSignal): Promise<{ file: string; size: number }> {
    const file = await this.workFile();
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        callback(null, chunk);
      },
    });
    // The file exists before any byte flows and the stream opens it with 'r+' (never creating it):
    // a lazily opened stream could otherwise re-create it after a failure's clean-up removed it.
    await (await open(file, 'wx')).close();
    try {
      await pipeline(body, counter, createWriteStream(file, { flags: 'r+', highWaterMark: WRITE_BUFFER }), {
        signal,
      });
      const handle = await open(file, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { file, size };
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
  }

  private async moveIntoPlace(temp: string, path: ArtifactPath, ifAbsent = false): Promise<ObjectInfo> {
    try {
      const target = await this.locateForWrite(path);
      await mkdir(join(target, '..'), { recursive: true });
      // Re-check after mkdir: a link created meanwhile must not redirect the rename.
      const checked = await this.locateForWrite(path);
      const existing = await lstat(checked).catch(() => undefined);
      if (existing?.isDirectory()) {
        throw MlflowError.invalidParameter(`Invalid artifact path '${path}': a directory exists there`);
      }
      if (ifAbsent) {
        // link() fails with EEXIST when the name is taken, decided by the filesystem in one step.
        await link(temp, checked).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'EEXIST') throw new MlflowError('RESOURCE_CONFLICT', `Artifact '${path}' already exists`);
          throw error;
        });
        await rm(temp, { force: true });
      } else {
        await rename(temp, checked);
      }
      const info = await stat(checked);
      return { size: info.size, etag: etagOf(info.size, info.mtimeMs) };
    } catch (error) {
      await rm(temp, { force: true });
      if ((error as NodeJS.ErrnoException).code === 'ENOTDIR' || (error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw MlflowError.invalidParameter(
          `Invalid artifact path '${path}': a file exists where a directory is needed`,
        );
      }
      throw error;
    }
  }

  async put(path: ArtifactPath, body: Readable, options: PutOptions = {}): Promise<ObjectInfo> {
    await this.locateForWrite(path);
    const { file } = await this.writeTemp(body, options.signal);
    return this.moveIntoPlace(file, path, options.ifAbsent);
  }

  async get(path: ArtifactPath): Promise<{ body: Readable; info: ObjectInfo }> {
    const target = await this.locate(path);
    if (target === undefined) throw notFound(path);
    let info;
    try {
      info = await lstat(target);
    } catch (error) {
      if (isMissing(error)) throw notFound(path);
      throw error;
    }
    if (!info.isFile()) throw notFound(path);
    const body = createReadStream(target, { highWaterMark: WRITE_BUFFER });
    return { body, info: { size: info.size, etag: etagOf(info.size, info.mtimeMs) } };
  }

  async stat(path: ArtifactPath): Promise<ObjectInfo | undefined> {
    const target = await this.locate(path);
    if (target === undefined) return undefined;
    const info = await lstat(target).catch(() => undefined);
    return info?.isFile() ? { size: info.size, etag: etagOf(info.size, info.mtimeMs) } : undefined;
  }

  async list(path: ArtifactPath, options: { pageToken?: string; maxResults?: number } = {}): Promise<ListPage> {
    const target = await this.locate(path);
    if (target === undefined) return { files: [] };
    let entries;
    try {
      entries = await readdir(target, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return { files: [] };
      throw error;
    }
    const after = options.pageToken ? Buffer.from(options.pageToken, 'base64url').toString('utf8') : undefined;
    const limit = options.maxResults ?? DEFAULT_PAGE;
    const names = entries
      .filter((e) => (e.isFile() || e.isDirectory()) && !(path === '' && e.name === WORK_DIR))
      .map((e) => ({ name: e.name, isDir: e.isDirectory() }))
      .filter((e) => after === undefined || e.name > after)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const page = names.slice(0, limit);
    const files: FileInfo[] = [];
    for (const entry of page) {
      const child = parseArtifactPath(path === '' ? entry.name : `${path}/${entry.name}`);
      if (entry.isDir) files.push({ path: child, isDir: true });
      else files.push({ path: child, isDir: false, size: (await stat(join(target, entry.name))).size });
    }
    const last = page.at(-1);
    const nextPageToken =
      names.length > limit && last ? Buffer.from(last.name, 'utf8').toString('base64url') : undefined;
    return { files, nextPageToken };
  }

  async delete(path: ArtifactPath): Promise<void> {
    if (path === '') return;
    const target = await this.locateForWrite(path);
    await rm(target, { recursive: true, force: true });
  }

  private uploadDir(uploadId: string): string {
    if (!/^[0-9a-f-]{36}$/.test(uploadId)) throw MlflowError.notFound(`Upload '${uploadId}' does not exist`);
    return join(this.root, WORK_DIR, `mpu-${uploadId}`);
  }

  private async requireUpload(path: ArtifactPath, uploadId: string): Promise<string> {
    const dir = this.uploadDir(uploadId);
    const recorded = await readFile(join(dir, 'target'), 'utf8').catch(() => undefined);
    if (recorded !== path) throw MlflowError.notFound(`Upload '${uploadId}' does not exist for '${path}'`);
    return dir;
  }

  async createMultipartUpload(path: ArtifactPath): Promise<string> {
    await this.locateForWrite(path);
    const uploadId = randomUUID();
    const dir = this.uploadDir(uploadId);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'target'), path);
    return uploadId;
  }

  async uploadPart(
    path: ArtifactPath,
    uploadId: string,
    partNumber: number,
    body: Readable,
    options: { signal?: AbortSignal } = {},
  ): Promise<string> {
    const dir = await this.requireUpload(path, uploadId);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
      throw MlflowError.invalidParameter(`Invalid part number ${partNumber}: it must be from 1 to 10000`);
    }
    const hash = createHash('md5');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    pipeline(body, hashing).catch(() => {
      // writeTemp's own pipeline reports the failure.
    });
    const { file } = await this.writeTemp(hashing, options.signal);
    const etag = hash.digest('hex');
    await rename(file, join(dir, `${partNumber}.${etag}`));
    return etag;
  }

  async completeMultipartUpload(
    path: ArtifactPath,
    uploadId: string,
    parts: readonly CompletedPart[],
    options: { ifAbsent?: boolean } = {},
  ): Promise<ObjectInfo> {
    const dir = await this.requireUpload(path, uploadId);
    const stored = new Set(await readdir(dir));
    const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    if (ordered.length === 0) throw MlflowError.invalidParameter('A multipart upload needs at least one part');
    for (const part of ordered) {
      if (!stored.has(`${part.partNumber}.${part.etag}`)) {
        throw MlflowError.invalidParameter(`Part ${part.partNumber} with etag '${part.etag}' was not uploaded`);
      }
    }
    const assembled = (async function* () {
      for (const part of ordered) yield* createReadStream(join(dir, `${part.partNumber}.${part.etag}`));
    })();
    const { file } = await this.writeTemp(Readable.from(assembled));
    const info = await this.moveIntoPlace(file, path, options.ifAbsent);
    await rm(dir, { recursive: true, force: true });
    return info;
  }

  async abortMultipartUpload(path: ArtifactPath, uploadId: string): Promise<void> {
    const dir = await this.requireUpload(path, uploadId).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  /** Removes uploads abandoned by clients that disconnected and never aborted; returns how many. */
  async cleanupAbandonedUploads(olderThanMs: number, now = Date.now()): Promise<number> {
    const dir = join(this.root, WORK_DIR);
    const entries = await readdir(dir).catch(() => [] as string[]);
    let removed = 0;
    for (const entry of entries) {
      const info = await lstat(join(dir, entry)).catch(() => undefined);
      if (info && (olderThanMs <= 0 || now - info.mtimeMs >= olderThanMs)) {
        await rm(join(dir, entry), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Multipart uploads (`mpu-<id>` directories naming their target) and temporary files of puts. */
  async *listPendingUploads(now = Date.now()): AsyncIterable<PendingUpload> {
    const dir = join(this.root, WORK_DIR);
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const entry of entries) {
      const info = await lstat(join(dir, entry)).catch(() => undefined);
      if (!info) continue; // completed or removed meanwhile
      const startedAt = Math.floor(info.mtimeMs);
      const multipart = /^mpu-(.+)$/.exec(entry);
      if (multipart?.[1] && info.isDirectory()) {
        const target = await readFile(join(dir, entry, 'target'), 'utf8').catch(() => undefined);
        let path: ArtifactPath | undefined;
        try {
          path = target === undefined ? undefined : parseArtifactPath(target);
        } catch {
          path = undefined;
        }
        yield { uploadId: multipart[1], path, startedAt, ageMs: now - startedAt };
      } else {
        yield { uploadId: entry, startedAt, ageMs: now - startedAt };
      }
    }
  }
}
