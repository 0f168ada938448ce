import { type Kysely, sql } from 'kysely';
import { MlflowError } from '../../core/errors.ts';
import type { RecoveredExperiment, RecoveryStore } from '../maintenance-store.ts';
import type { SqlDialect } from './dialect.ts';
import type { Database } from './schema.ts';

/** The writes `plumb reconcile` needs beyond the tracking port: experiments under their original ids. */
export class SqlRecoveryStore implements RecoveryStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

  async insertExperiment(experiment: RecoveredExperiment): Promise<void> {
    const id = Number(experiment.experimentId);
    if (!Number.isSafeInteger(id) || id < 0) {
      throw MlflowError.invalidParameter(`Experiment id '${experiment.experimentId}' is not one of ours`);
    }
    try {
      await this.dialect.transaction(this.db, async (trx) => {
        const taken = await trx
          .selectFrom('experiments')
          .select(['experiment_id', 'name'])
          .where((eb) => eb.or([eb('experiment_id', '=', id), eb('name', '=', experiment.name)]))
          .executeTakeFirst();
        if (taken) {
          throw MlflowError.alreadyExists(
            `Experiment ${String(taken.experiment_id)} (name=${taken.name}) already exists.`,
          );
        }
        await trx
          .insertInto('experiments')
          .values({
            experiment_id: id,
            name: experiment.name,
            artifact_location: experiment.artifactLocation,
            lifecycle_stage: 'active',
            creation_time: experiment.creationTime,
            last_update_time: experiment.creationTime,
            deleted_time: null,
          })
          .execute();
        await this.dialect.syncAutoIncrement?.(trx, 'experiments', 'experiment_id');
      });
    } catch (error) {
      throw this.dialect.translateError(error);
    }
  }

  async countMetricPoints(runId: string): Promise<number> {
    const row = await this.db
      .selectFrom('metrics')
      .select(sql<number | string>`count(*)`.as('n'))
      .where('run_uuid', '=', runId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
