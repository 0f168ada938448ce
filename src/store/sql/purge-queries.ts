import type { Kysely } from 'kysely';
import type { LifecycleStage } from '../../core/entities.ts';
import { MlflowError } from '../../core/errors.ts';
import type { ExperimentRecord, PurgedRows, PurgeStore, RunRecord } from '../maintenance-store.ts';
import type { SqlDialect } from './dialect.ts';
import type { Database } from './schema.ts';

/** Ids per IN list: far below every engine's bound-parameter limit. */
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const RUN_COLUMNS = ['run_uuid', 'experiment_id', 'artifact_uri', 'lifecycle_stage', 'deleted_time'] as const;
const EXPERIMENT_COLUMNS = ['experiment_id', 'name', 'artifact_location', 'lifecycle_stage', 'deleted_time'] as const;

function toRun(row: {
  run_uuid: string;
  experiment_id: number;
  artifact_uri: string;
  lifecycle_stage: string;
  deleted_time: number | null;
}): RunRecord {
  return {
    runId: row.run_uuid,
    experimentId: String(row.experiment_id),
    artifactUri: row.artifact_uri,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    deletedTime: row.deleted_time === null ? null : Number(row.deleted_time),
  };
}

function toExperiment(row: {
  experiment_id: number;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  deleted_time: number | null;
}): ExperimentRecord {
  return {
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactLocation: row.artifact_location,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    deletedTime: row.deleted_time === null ? null : Number(row.deleted_time),
  };
}

const numericIds = (ids: readonly string[]) => ids.filter((id) => /^\d{1,18}$/.test(id)).map(Number);

/** Counts deleted rows per table. */
class Tally {
  readonly rows: Record<string, number> = {};
  add(table: string, result: { numDeletedRows: bigint } | readonly { numDeletedRows: bigint }[]): void {
    const n = (Array.isArray(result) ? result : [result]).reduce((sum, r) => sum + Number(r.numDeletedRows), 0);
    if (n > 0) this.rows[table] = (this.rows[table] ?? 0) + n;
  }
}

/** Deletes inputs (and their tags) whose source is one of `sourceIds`, or whose destination is the run. */
async function deleteInputs(
  db: Kysely<Database>,
  tally: Tally,
  where: { destinationRun: string } | { sourceType: string; sourceIds: readonly string[] },
): Promise<void> {
  const groups = 'destinationRun' in where ? [[where.destinationRun]] : chunks(where.sourceIds);
  for (const ids of groups) {
    let query = db.selectFrom('inputs').select('input_uuid');
    query =
      'destinationRun' in where
        ? query.where('destination_type', '=', 'RUN').where('destination_id', 'in', ids)
        : query.where('source_type', '=', where.sourceType).where('source_id', 'in', ids);
    const inputIds = (await query.execute()).map((r) => r.input_uuid);
    for (const part of chunks(inputIds)) {
      tally.add('input_tags', await db.deleteFrom('input_tags').where('input_uuid', 'in', part).executeTakeFirst());
      tally.add('inputs', await db.deleteFrom('inputs').where('input_uuid', 'in', part).executeTakeFirst());
    }
  }
}

/** Permanent deletion for `plumb gc`: one transaction per run or experiment. */
export class SqlPurgeStore implements PurgeStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

  async deletedRuns(deletedBefore?: number): Promise<RunRecord[]> {
    let query = this.db.selectFrom('runs').select(RUN_COLUMNS).where('lifecycle_stage', '=', 'deleted');
    if (deletedBefore !== undefined) query = query.where('deleted_time', '<', deletedBefore);
    return (await query.orderBy('row_id').execute()).map(toRun);
  }

  async deletedExperiments(deletedBefore?: number): Promise<ExperimentRecord[]> {
    let query = this.db.selectFrom('experiments').select(EXPERIMENT_COLUMNS).where('lifecycle_stage', '=', 'deleted');
    if (deletedBefore !== undefined) query = query.where('deleted_time', '<', deletedBefore);
    return (await query.orderBy('experiment_id').execute()).map(toExperiment);
  }

  async runs(runIds: readonly string[]): Promise<RunRecord[]> {
    const found: RunRecord[] = [];
    for (const ids of chunks(runIds)) {
      const rows = await this.db.selectFrom('runs').select(RUN_COLUMNS).where('run_uuid', 'in', ids).execute();
      found.push(...rows.map(toRun));
    }
    return found;
  }

  async experiments(experimentIds: readonly string[]): Promise<ExperimentRecord[]> {
    const found: ExperimentRecord[] = [];
    for (const ids of chunks(numericIds(experimentIds))) {
      const rows = await this.db
        .selectFrom('experiments')
        .select(EXPERIMENT_COLUMNS)
        .where('experiment_id', 'in', ids)
        .execute();
      found.push(...rows.map(toExperiment));
    }
    return found;
  }

  async runsOfExperiment(experimentId: string): Promise<RunRecord[]> {
    const [id] = numericIds([experimentId]);
    if (id === undefined) return [];
    const rows = await this.db
      .selectFrom('runs')
      .select(RUN_COLUMNS)
      .where('experiment_id', '=', id)
      .orderBy('row_id')
      .execute();
    return rows.map(toRun);
  }

  async modelVersionsOf(runIds: readonly string[]): Promise<Map<string, string[]>> {
    const versions = new Map<string, string[]>();
    for (const ids of chunks(runIds)) {
      const rows = await this.db
        .selectFrom('model_versions')
        .innerJoin('registered_models', 'registered_models.id', 'model_versions.registered_model_id')
        .select(['model_versions.run_id', 'registered_models.name', 'model_versions.version'])
        .where('model_versions.run_id', 'in', ids)
        .orderBy('registered_models.name')
        .orderBy('model_versions.version')
        .execute();
      for (const row of rows) {
        const list = versions.get(row.run_id!) ?? [];
        list.push(`${row.name}/${Number(row.version)}`);
        versions.set(row.run_id!, list);
      }
    }
    return versions;
  }

  async experimentLocations(): Promise<{ experimentId: string; artifactLocation: string }[]> {
    const rows = await this.db.selectFrom('experiments').select(['experiment_id', 'artifact_location']).execute();
    return rows.map((r) => ({ experimentId: String(r.experiment_id), artifactLocation: r.artifact_location }));
  }

  purgeRun(runId: string): Promise<PurgedRows> {
    return this.inTransaction(async (db, tally) => {
      await deleteInputs(db, tally, { destinationRun: runId });
      for (const table of [
        'metrics',
        'metric_rollups',
        'latest_metrics',
        'params',
        'tags',
        'run_outputs',
        'artifact_manifest',
      ] as const) {
        tally.add(table, await db.deleteFrom(table).where('run_uuid', '=', runId).executeTakeFirst());
      }
      tally.add(
        'logged_model_metrics',
        await db.deleteFrom('logged_model_metrics').where('run_id', '=', runId).executeTakeFirst(),
      );
      tally.add('runs', await db.deleteFrom('runs').where('run_uuid', '=', runId).executeTakeFirst());
    });
  }

  purgeExperiment(experimentId: string): Promise<PurgedRows> {
    const [id] = numericIds([experimentId]);
    if (id === undefined) return Promise.resolve({});
    return this.inTransaction(async (db, tally) => {
      const run = await db.selectFrom('runs').select('run_uuid').where('experiment_id', '=', id).executeTakeFirst();
      if (run) {
        throw new MlflowError('INVALID_STATE', `Experiment ${experimentId} still has runs (e.g. ${run.run_uuid})`);
      }
      const models = (
        await db.selectFrom('logged_models').select('model_id').where('experiment_id', '=', id).execute()
      ).map((m) => m.model_id);
      await deleteInputs(db, tally, { sourceType: 'MODEL', sourceIds: models });
      for (const ids of chunks(models)) {
        for (const table of ['logged_model_tags', 'logged_model_params', 'logged_model_metrics'] as const) {
          tally.add(table, await db.deleteFrom(table).where('model_id', 'in', ids).executeTakeFirst());
        }
        tally.add('run_outputs', await db.deleteFrom('run_outputs').where('model_id', 'in', ids).executeTakeFirst());
      }
      tally.add(
        'logged_models',
        await db.deleteFrom('logged_models').where('experiment_id', '=', id).executeTakeFirst(),
      );
      const datasets = (
        await db.selectFrom('datasets').select('dataset_uuid').where('experiment_id', '=', id).execute()
      ).map((d) => d.dataset_uuid);
      await deleteInputs(db, tally, { sourceType: 'DATASET', sourceIds: datasets });
      tally.add('datasets', await db.deleteFrom('datasets').where('experiment_id', '=', id).executeTakeFirst());
      tally.add(
        'experiment_tags',
        await db.deleteFrom('experiment_tags').where('experiment_id', '=', id).executeTakeFirst(),
      );
      tally.add('experiments', await db.deleteFrom('experiments').where('experiment_id', '=', id).executeTakeFirst());
    });
  }

  private async inTransaction(work: (db: Kysely<Database>, tally: Tally) => Promise<void>): Promise<PurgedRows> {
    try {
      return await this.dialect.transaction(this.db, async (trx) => {
        const tally = new Tally(); // fresh per attempt: a retried transaction counts once
        await work(trx, tally);
        return tally.rows;
      });
    } catch (error) {
      throw this.dialect.translateError(error);
    }
  }
}
