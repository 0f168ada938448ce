import type { ArtifactPath } from '../core/artifact-path.ts';

/** Which storage tier holds an object (docs/operations.md, "Artifact tiers"). */
export type ArtifactTier = 'hot' | 'cold';

/** What a completed upload stored, as recorded when it completed. */
export interface ManifestEntry {
  /** Relative to the artifact store's root. */
  readonly path: ArtifactPath;
  /** The run the artifact belongs to, when its path is under a run's artifact directory. */
  readonly runId?: string | undefined;
  readonly size: number;
  /** Lowercase hex. */
  readonly sha256: string;
  /** The etag of the copy in the tier the entry names. */
  readonly etag: string;
  readonly recordedAt: number;
  /** Undefined for a store without tiers (and entries from before them): the destination, i.e. cold. */
  readonly tier?: ArtifactTier | undefined;
  /** The node whose local disk holds the hot copy; undefined when the hot tier is a shared mount. */
  readonly hotNode?: string | undefined;
  /** When a mover claimed the entry (epoch ms); set until its move finished, hot copy deleted. */
  readonly moveStartedAt?: number | undefined;
}

/** Bytes and objects per tier; `pendingMoves` counts entries a mover claimed and has not finished. */
export interface TierTotals {
  readonly hot: { readonly objects: number; readonly bytes: number };
  readonly cold: { readonly objects: number; readonly bytes: number };
  readonly pendingMoves: number;
}

/** The artifact manifest part of the metadata port. Each call is its own transaction. */
export interface ArtifactManifestStore {
  /** Inserts or replaces the entry for `entry.path` (a new version clears any mover's claim). */
  record(entry: ManifestEntry): Promise<void>;
  get(path: ArtifactPath): Promise<ManifestEntry | undefined>;
  /** Entries at `path` or below it, in path order; `limit` caps how many. */
  listUnder(path: ArtifactPath, limit?: number): Promise<ManifestEntry[]>;
  /** Removes the entry at `path` and every entry below it; returns how many. */
  deleteUnder(path: ArtifactPath): Promise<number>;

  /** Hot entries, oldest recorded first; with `node`, only that node's (and the shared mount's: null). */
  listHot(options: { node?: string | undefined; limit: number }): Promise<ManifestEntry[]>;
  /** Entries whose move was claimed before `before` and never finished (a mover that died). */
  listStaleMoves(before: number, limit: number): Promise<ManifestEntry[]>;
  /**
   * Claims an entry for a move: only when it still is this version (sha256 and etag), hot, and
   * unclaimed or claimed before `staleBefore`. False when another writer or mover got there first.
   */
  claimMove(entry: ManifestEntry, at: number, staleBefore: number): Promise<boolean>;
  /**
   * In one transaction: the entry now names the cold copy (tier and etag), if it still is the
   * version that was copied (sha256 and hot etag). The claim and the node stay until `finishMove`.
   */
  markCold(entry: ManifestEntry, coldEtag: string): Promise<boolean>;
  /** Clears the claim of a finished (or abandoned) move, and a cold entry's node, if the entry still has this sha256. */
  finishMove(path: ArtifactPath, sha256: string): Promise<void>;
  tierTotals(): Promise<TierTotals>;
}
