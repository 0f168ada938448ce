import type { Readable } from 'node:stream';
import type { ArtifactPath } from '../../core/artifact-path.ts';
import { isMlflowError, MlflowError } from '../../core/errors.ts';
import type {
  ArtifactRepository,
  CompletedPart,
  FileInfo,
  ListPage,
  ObjectInfo,
  PendingUpload,
  PutOptions,
} from '../artifact-repository.ts';

/** Where the manifest says an object is: its tier and, for a per-node hot tier, the node. */
export interface Location {
  readonly tier: 'hot' | 'cold';
  readonly hotNode?: string | undefined;
  /** As recorded: what stat reports for a copy on another node's disk. */
  readonly size: number;
  readonly etag: string;
}

export interface TieredRepositoryDeps {
  /** Local disk (fsynced writes): every write lands here. */
  readonly hot: ArtifactRepository;
  /** The artifacts destination (S3, Azure, or a slower disk). */
  readonly cold: ArtifactRepository;
  /** The manifest's location of `path`, or undefined when it has no entry. */
  readonly locate: (path: ArtifactPath) => Promise<Location | undefined>;
  /** This node's id as the manifest records it; undefined when the hot tier is a shared mount. */
  readonly node?: string | undefined;
}

const DEFAULT_PAGE = 1000;

const isMissing = (error: unknown) => isMlflowError(error) && error.code === 'RESOURCE_DOES_NOT_EXIST';

/**
 * One artifact store over two tiers (issue #12). Writes go to the hot tier, whose put returns only
 * once the data is fsynced; reads go where the manifest says the object is, and fall back to the
 * other tier, so a read racing a move (manifest read before the move's update, hot copy deleted
 * after) still finds the object: the mover deletes the hot copy only after the cold copy is
 * verified and recorded. URIs name paths, never tiers, so they do not change when objects move.
 */
export class TieredArtifactRepository implements ArtifactRepository {
  readonly capabilities: { multipartUpload: boolean };
  readonly description: string;

  constructor(private readonly deps: TieredRepositoryDeps) {
    this.capabilities = { multipartUpload: deps.hot.capabilities.multipartUpload };
    this.description = `tiered(hot ${deps.hot.description}, cold ${deps.cold.description})`;
  }

  put(path: ArtifactPath, body: Readable, options?: PutOptions): Promise<ObjectInfo> {
    return this.deps.hot.put(path, body, options);
  }

  async get(path: ArtifactPath, options?: { signal?: AbortSignal }): Promise<{ body: Readable; info: ObjectInfo }> {
    const order = await this.order(path);
    for (const [index, tier] of order.entries()) {
      try {
        return await tier.get(path, options);
      } catch (error) {
        if (!isMissing(error) || index === order.length - 1) throw await this.explainMissing(path, error);
      }
    }
    throw MlflowError.notFound(`Artifact '${path}' not found`);
  }

  /**
   * An object hot on another node's disk exists, though this node cannot read it: stat reports it
   * as recorded, so a finished run's object stays immutable everywhere and doctor does not call it lost.
   */
  async stat(path: ArtifactPath): Promise<ObjectInfo | undefined> {
    for (const tier of await this.order(path)) {
      const info = await tier.stat(path);
      if (info) return info;
    }
    const location = await this.deps.locate(path);
    return location && this.onOtherNode(location) ? { size: location.size, etag: location.etag } : undefined;
  }

  /** The union of both tiers' children (an object mid-move is in both: listed once). */
  async list(path: ArtifactPath, options: { pageToken?: string; maxResults?: number } = {}): Promise<ListPage> {
    const merged = new Map<string, FileInfo>();
    for (const tier of [this.deps.cold, this.deps.hot]) {
      let pageToken: string | undefined;
      do {
        const page = await tier.list(path, { pageToken });
        for (const file of page.files) merged.set(file.path, file);
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    const after = options.pageToken;
    const sorted = [...merged.values()]
      .filter((f) => after === undefined || f.path > after)
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const max = options.maxResults ?? DEFAULT_PAGE;
    const files = sorted.slice(0, max);
    return { files, nextPageToken: sorted.length > max ? files.at(-1)?.path : undefined };
  }

  async delete(path: ArtifactPath): Promise<void> {
    await this.deps.hot.delete(path);
    await this.deps.cold.delete(path);
  }

  createMultipartUpload(path: ArtifactPath): Promise<string> {
    return this.deps.hot.createMultipartUpload(path);
  }

  uploadPart(
    path: ArtifactPath,
    uploadId: string,
    partNumber: number,
    body: Readable,
    options?: { contentLength?: number; signal?: AbortSignal },
  ): Promise<string> {
    return this.deps.hot.uploadPart(path, uploadId, partNumber, body, options);
  }

  completeMultipartUpload(
    path: ArtifactPath,
    uploadId: string,
    parts: readonly CompletedPart[],
    options?: { ifAbsent?: boolean },
  ): Promise<ObjectInfo> {
    return this.deps.hot.completeMultipartUpload(path, uploadId, parts, options);
  }

  abortMultipartUpload(path: ArtifactPath, uploadId: string): Promise<void> {
    return this.deps.hot.abortMultipartUpload(path, uploadId);
  }

  async cleanupAbandonedUploads(olderThanMs: number): Promise<number> {
    return (
      (await this.deps.hot.cleanupAbandonedUploads(olderThanMs)) +
      (await this.deps.cold.cleanupAbandonedUploads(olderThanMs))
    );
  }

  async *listPendingUploads(): AsyncIterable<PendingUpload> {
    yield* this.deps.hot.listPendingUploads();
    yield* this.deps.cold.listPendingUploads();
  }

  private onOtherNode(location: Location): boolean {
    return location.tier === 'hot' && location.hotNode !== undefined && location.hotNode !== this.deps.node;
  }

  /** The tier the manifest names first; an unrecorded object (a snapshot, say) is looked for hot first. */
  private async order(path: ArtifactPath): Promise<ArtifactRepository[]> {
    const location = await this.deps.locate(path);
    return location?.tier === 'cold' ? [this.deps.cold, this.deps.hot] : [this.deps.hot, this.deps.cold];
  }

  /**
   * A hot copy on another node's local disk is not readable here: say so (503, retry once the
   * mover has copied it to the cold tier) rather than claim it does not exist.
   */
  private async explainMissing(path: ArtifactPath, error: unknown): Promise<unknown> {
    if (!isMissing(error)) return error;
    const location = await this.deps.locate(path);
    if (location && this.onOtherNode(location)) {
      return new MlflowError(
        'TEMPORARILY_UNAVAILABLE',
        `Artifact '${path}' is in the hot tier of node ${location.hotNode}; it is readable here once moved to the cold tier`,
      );
    }
    return error;
  }
}
