import type { ArtifactPath } from '../core/artifact-path.ts';

/** What a completed upload stored, as recorded when it completed. */
export interface ManifestEntry {
  /** Relative to the artifact store's root. */
  readonly path: ArtifactPath;
  /** The run the artifact belongs to, when its path is under a run's artifact directory. */
  readonly runId?: string | undefined;
  readonly size: number;
  /** Lowercase hex. */
  readonly sha256: string;
  readonly etag: string;
  readonly recordedAt: number;
}

/** The artifact manifest part of the metadata port. Each call is its own transaction. */
export interface ArtifactManifestStore {
  /** Inserts or replaces the entry for `entry.path`. */
  record(entry: ManifestEntry): Promise<void>;
  get(path: ArtifactPath): Promise<ManifestEntry | undefined>;
  /** Entries at `path` or below it, in path order; `limit` caps how many. */
  listUnder(path: ArtifactPath, limit?: number): Promise<ManifestEntry[]>;
  /** Removes the entry at `path` and every entry below it; returns how many. */
  deleteUnder(path: ArtifactPath): Promise<number>;
}
