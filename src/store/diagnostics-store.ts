import type { ArtifactPath } from '../core/artifact-path.ts';
import type { ManifestEntry } from './artifact-manifest-store.ts';

/**
 * The diagnostics part of the metadata port, for `plumb doctor db` and `plumb doctor artifacts`:
 * integrity checks that look across tables (orphans, stuck runs, registry version numbering) and
 * the few repairs that are safe to make. The same checks run on an MLflow database that shares
 * the connection (`mlflow`), which is read-only by construction: it has no method that writes.
 *
 * Every check returns a count plus a bounded sample (`sampleSize` items at most), so a check stays
 * cheap to print however large the problem is.
 */
export interface DiagnosticsStore {
  /** Which schema the database holds: Plumb's, MLflow's (by its `alembic_version` table), none, or another one. */
  identify(): Promise<SchemaIdentity>;
  /** Checks and repairs of Plumb's own schema. */
  readonly plumb: PlumbDiagnostics;
  /** The same checks on an MLflow schema (any release from 2.0 on); never writes. */
  readonly mlflow: IntegrityChecks;
}

export type SchemaIdentity =
  | { readonly kind: 'plumb' }
  | { readonly kind: 'mlflow'; readonly alembicRevision: string | undefined; readonly tables: readonly string[] }
  | { readonly kind: 'empty' }
  | { readonly kind: 'unknown'; readonly tables: readonly string[] };

/** Rows whose parent row is gone. */
export const ORPHAN_KINDS = [
  'metrics',
  'latest-metrics',
  'metric-rollups',
  'params',
  'tags',
  'model-versions',
  'aliases',
] as const;
export type OrphanKind = (typeof ORPHAN_KINDS)[number];

/** How many there are, and the first `sampleSize` of them. */
export interface Sampled<T> {
  readonly count: number;
  readonly sample: readonly T[];
}

export interface OrphanRows {
  /** Orphan rows. */
  readonly rows: number;
  /** The missing parents they point at (run ids, model names or ids, `model/version`), at most `sampleSize`. */
  readonly missingParents: readonly string[];
}

export interface StuckRun {
  readonly runId: string;
  readonly experimentId: string;
  readonly startTime: number | null;
  /** The newest of start_time and the latest metric timestamp. */
  readonly lastActivity: number | null;
}

export interface DuplicateVersion {
  readonly model: string;
  readonly version: number;
  readonly rows: number;
}

export interface VersionGap {
  readonly model: string;
  /** Version numbers below the model's highest that no row holds and no recorded deletion explains. */
  readonly missing: readonly number[];
}

/** Read-only integrity checks, on either schema. */
export interface IntegrityChecks {
  orphans(kind: OrphanKind, sampleSize: number): Promise<OrphanRows>;
  /**
   * Active runs in RUNNING whose last activity (the newest of start_time and any metric
   * timestamp) is before `activityBefore` (epoch ms), oldest activity first.
   */
  stuckRuns(activityBefore: number, sampleSize: number): Promise<Sampled<StuckRun>>;
  /** A (model, version) held by more than one row. */
  duplicateVersions(sampleSize: number): Promise<Sampled<DuplicateVersion>>;
  /** Models whose version numbers have holes that no recorded deletion explains. */
  versionGaps(sampleSize: number): Promise<Sampled<VersionGap>>;
}

export interface VersionCounterBehind {
  readonly model: string;
  readonly nextVersion: number;
  readonly highestVersion: number;
}

/** A run's artifact location, for checking that it lies inside the configured store. */
export interface RunArtifactLocation {
  /** Insertion order: the paging key. */
  readonly rowId: number;
  readonly runId: string;
  readonly artifactUri: string;
}

export interface PlumbDiagnostics extends IntegrityChecks {
  /** Models whose next-version counter is not above their highest version: the next registration would collide. */
  versionCountersBehind(sampleSize: number): Promise<Sampled<VersionCounterBehind>>;
  /**
   * The statement that creates each named index, from the applied migrations (as compiled for
   * this database); names no migration creates are left out.
   */
  indexStatements(names: readonly string[]): Promise<ReadonlyMap<string, string>>;

  /** Deletes the orphan rows of `kind` (for model versions, with their tags and aliases); returns how many rows. */
  deleteOrphans(kind: OrphanKind): Promise<number>;
  /**
   * Marks FAILED, with `endTime`, every run `stuckRuns(activityBefore)` would report at this
   * moment, in one transaction that re-checks each run; returns their ids.
   */
  failStuckRuns(activityBefore: number, endTime: number): Promise<string[]>;
  /** Runs each named index's creating statement; returns the names it created. */
  recreateIndexes(names: readonly string[]): Promise<string[]>;

  /** Manifest entries in a stable order (not by path): those after `cursor`, and the cursor of the last. */
  manifestPage(
    cursor: string | undefined,
    limit: number,
  ): Promise<{ entries: ManifestEntry[]; next: string | undefined }>;
  /** The manifest entries recorded for exactly these paths (at most a few hundred per call). */
  manifestEntries(paths: readonly ArtifactPath[]): Promise<Map<string, ManifestEntry>>;
  manifestSize(): Promise<number>;
  /** Runs' artifact URIs with `rowId` above `afterRowId`, in rowId order. */
  runArtifactLocations(afterRowId: number, limit: number): Promise<RunArtifactLocation[]>;
}
