import type { ContainerClient } from '@azure/storage-blob';
import { type ArtifactPath, parseArtifactPath } from '../../core/artifact-path.ts';
import { isBlobNotFound } from './azure-errors.ts';
import { isUploadId } from './block-ids.ts';

/** The reserved directory, below the repository's root, that holds one marker blob per open upload. */
export const UPLOADS_DIR = '.plumb-uploads';

const MAX_MARKER_BYTES = 64 * 1024;

async function readText(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += data.length;
    if (size > MAX_MARKER_BYTES) return '';
    chunks.push(data);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Open multipart uploads, one small blob each: `<root>.plumb-uploads/<uploadId>` holding the
 * target path. Azure keeps no list of uncommitted blocks by age and cannot delete them, so the
 * marker is what makes an upload id live: parts and completion require it, abort and cleanup
 * delete it, and its Last-Modified time is the upload's age. The blocks of a dead upload stay
 * uncommitted (invisible) until Azure garbage-collects them.
 */
export class UploadMarkers {
  private readonly dir: string;

  constructor(
    private readonly container: ContainerClient,
    root: string,
  ) {
    this.dir = `${root}${UPLOADS_DIR}/`;
  }

  private blob(uploadId: string) {
    return this.container.getBlockBlobClient(`${this.dir}${uploadId}`);
  }

  async create(uploadId: string, path: ArtifactPath): Promise<void> {
    const text = JSON.stringify({ path });
    await this.blob(uploadId).upload(text, Buffer.byteLength(text), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  }

  /** The target path of a live upload, or undefined when there is no such upload. */
  async target(uploadId: string): Promise<ArtifactPath | undefined> {
    if (!isUploadId(uploadId)) return undefined;
    let text: string;
    try {
      text = await readText((await this.blob(uploadId).download()).readableStreamBody);
    } catch (error) {
      if (isBlobNotFound(error)) return undefined;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as { path?: unknown };
      return typeof parsed.path === 'string' ? parseArtifactPath(parsed.path) : undefined;
    } catch {
      return undefined; // not one of ours: treat as no upload
    }
  }

  /** Ends an upload; true when it was live. */
  async remove(uploadId: string): Promise<boolean> {
    if (!isUploadId(uploadId)) return false;
    return (await this.blob(uploadId).deleteIfExists()).succeeded;
  }

  /**
   * Ends the uploads started at least `olderThanMs` ago; returns how many. Age is measured on the
   * storage's clock (marker Last-Modified against the listing's Date header), so skew between
   * this node and Azure does not matter.
   */
  async removeOlderThan(olderThanMs: number): Promise<number> {
    let removed = 0;
    for await (const page of this.container.listBlobsFlat({ prefix: this.dir }).byPage({ maxPageSize: 1000 })) {
      const now = (page.date ?? new Date()).getTime();
      for (const item of page.segment.blobItems) {
        const uploadId = item.name.slice(this.dir.length);
        if (now - item.properties.lastModified.getTime() < olderThanMs) continue;
        if (await this.remove(uploadId)) removed++;
      }
    }
    return removed;
  }

  /** Every open upload: its id, target path (when the marker is readable) and the marker's age by Azure's clock. */
  async *list(): AsyncIterable<{ uploadId: string; path: ArtifactPath | undefined; startedAt: number; ageMs: number }> {
    for await (const page of this.container.listBlobsFlat({ prefix: this.dir }).byPage({ maxPageSize: 1000 })) {
      const now = (page.date ?? new Date()).getTime();
      for (const item of page.segment.blobItems) {
        const uploadId = item.name.slice(this.dir.length);
        const startedAt = item.properties.lastModified.getTime();
        yield { uploadId, path: await this.target(uploadId), startedAt, ageMs: now - startedAt };
      }
    }
  }
}
