import type { LifecycleStage } from '../core/entities.ts';
import type { PlannedMigration } from './store.ts';

/**
 * The maintenance part of the metadata port: what `plumb backup`/`restore`, `export`/`import
 * dump`, `reconcile` and `gc` need beyond the tracking and registry ports. SQL only; the rules
 * (what may be recreated, what may be purged, when a dump fits this release) live in src/transfer.
 */
export interface MaintenanceStore {
  readonly dump: DumpStore;
  readonly recovery: RecoveryStore;
  readonly purge: PurgeStore;
}

export type StoreEngine = 'sqlite' | 'postgres' | 'mysql';

/** How a column's values are written to a dump: integers, other numbers (doubles) and text. */
export type DumpColumnKind = 'integer' | 'number' | 'text';

export interface DumpColumn {
  readonly name: string;
  readonly kind: DumpColumnKind;
}

export interface DumpTable {
  readonly name: string;
  /** In the database's column order. */
  readonly columns: readonly DumpColumn[];
}

/** One row: values in the order of its table's columns. Numbers are always finite (see metric storage). */
export type DumpRow = readonly (string | number | null)[];

/** A consistent, read-only view of the whole database (one snapshot). */
export interface DumpReader {
  /** Plumb's data tables that exist here, parents before children (foreign-key order). */
  readonly tables: readonly DumpTable[];
  count(table: string): Promise<number>;
  /** The table's rows in primary-key order, in pages of at most `pageSize`. */
  rows(table: DumpTable, pageSize?: number): AsyncIterable<readonly DumpRow[]>;
}

export interface DumpWriter {
  /** The tables of this release's schema, as `DumpReader.tables`. */
  readonly tables: readonly DumpTable[];
  /**
   * Inserts rows with exactly these values, ids of auto-increment columns included, through the
   * engine's bulk path. `columns` must be columns of the table; the others take their defaults. A
   * row whose key exists is skipped: compare `count` with what was inserted to notice.
   */
  insert(table: string, columns: readonly string[], rows: readonly DumpRow[]): Promise<void>;
  /** Rows in the table now, inside the load's transaction. */
  count(table: string): Promise<number>;
}

/**
 * What a database holds: `no-schema` (no Plumb table at all), `empty` (Plumb's schema with no
 * data, or with nothing but the untouched Default experiment a server creates on start), `data`.
 */
export type StoreContent = 'no-schema' | 'empty' | 'data';

/** Table-level reads and writes for backups and dumps. Schema tables (migrations, live nodes) are not data. */
export interface DumpStore {
  readonly engine: StoreEngine;
  /** Every migration this release knows, compiled for this engine, with its checksum. */
  knownMigrations(): readonly PlannedMigration[];
  content(): Promise<StoreContent>;
  /** Runs `work` in one read-only transaction, so everything it reads is one point in time. */
  read<T>(work: (reader: DumpReader) => Promise<T>): Promise<T>;
  /**
   * Runs `work` in one transaction against a database whose content is `empty` (the Default
   * experiment of a pristine database is removed first); then moves every id generator past the
   * ids inserted. All or nothing: when `work` throws, nothing is kept. Throws INVALID_STATE when
   * the database holds data.
   */
  load(work: (writer: DumpWriter) => Promise<void>): Promise<void>;
  /** Drops Plumb's tables, data and schema history (`restore --force`). Other tables are left alone. */
  dropAll(): Promise<void>;
  /** Gathers the planner's statistics for every data table (after a bulk load; `load` does it itself). */
  refreshStatistics(): Promise<void>;
}

/** Writes that recreate lost metadata from run snapshots (`plumb reconcile`). */
export interface RecoveryStore {
  /**
   * Inserts an experiment under its original id and moves the id generator past it. Throws
   * RESOURCE_ALREADY_EXISTS when the id or the name is taken.
   */
  insertExperiment(experiment: RecoveredExperiment): Promise<void>;
  /** How many metric points (all keys, full history) the run has stored. */
  countMetricPoints(runId: string): Promise<number>;
}

export interface RecoveredExperiment {
  readonly experimentId: string;
  readonly name: string;
  readonly artifactLocation: string;
  readonly creationTime: number;
}

export interface RunRecord {
  readonly runId: string;
  readonly experimentId: string;
  readonly artifactUri: string;
  readonly lifecycleStage: LifecycleStage;
  readonly deletedTime: number | null;
}

export interface ExperimentRecord {
  readonly experimentId: string;
  readonly name: string;
  readonly artifactLocation: string;
  readonly lifecycleStage: LifecycleStage;
  readonly deletedTime: number | null;
}

/** Rows removed per table by one purge. */
export type PurgedRows = Readonly<Record<string, number>>;

/** Permanent deletion of runs and experiments (`plumb gc`). */
export interface PurgeStore {
  /** Runs in the deleted state, deleted before `deletedBefore` when given (runs without a deletion time then do not match). Ordered by id. */
  deletedRuns(deletedBefore?: number): Promise<RunRecord[]>;
  /** Experiments in the deleted state, filtered as `deletedRuns`. */
  deletedExperiments(deletedBefore?: number): Promise<ExperimentRecord[]>;
  /** The runs with these ids that exist, in any state. */
  runs(runIds: readonly string[]): Promise<RunRecord[]>;
  /** The experiments with these ids that exist, in any state. */
  experiments(experimentIds: readonly string[]): Promise<ExperimentRecord[]>;
  /** Every run of the experiment, in any state. */
  runsOfExperiment(experimentId: string): Promise<RunRecord[]>;
  /** For each of these runs that registered model versions come from, those versions (`name/version`). */
  modelVersionsOf(runIds: readonly string[]): Promise<Map<string, string[]>>;
  /** The artifact location of every experiment. */
  experimentLocations(): Promise<{ experimentId: string; artifactLocation: string }[]>;
  /**
   * Deletes the run and everything recorded for it (metrics, latest metrics, params, tags,
   * inputs and their tags, outputs, logged-model metrics it logged, manifest entries) in one
   * transaction. A run that does not exist purges nothing.
   */
  purgeRun(runId: string): Promise<PurgedRows>;
  /**
   * Deletes the experiment with its tags, datasets and logged models, in one transaction, which
   * frees its name. Throws INVALID_STATE while it still has runs (purge those first).
   */
  purgeExperiment(experimentId: string): Promise<PurgedRows>;
}
