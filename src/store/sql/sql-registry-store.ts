import type { Kysely } from 'kysely';
import type { Tag } from '../../core/entities.ts';
import type { RegistryStore, RegistryWrites } from '../registry-store.ts';
import type { SqlDialect } from './dialect.ts';
import * as events from './registry-event-queries.ts';
import * as models from './registry-model-queries.ts';
import * as search from './registry-search.ts';
import * as versions from './registry-version-queries.ts';
import { enqueueDeliveries, webhookDb } from './webhook-queries.ts';
import type { Database } from './schema.ts';

/** The registry half of the metadata port over any Kysely connection or transaction. */
class SqlRegistryOperations implements RegistryWrites {
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly dialect: SqlDialect,
  ) {}

  getRegisteredModel = (name: string) => models.getRegisteredModel(this.db, name);
  getModelHeader = (name: string) => models.getModelHeader(this.db, name);
  getModelVersion = (name: string, version: number) => versions.getModelVersion(this.db, name, version);
  getModelVersionByAlias = (name: string, alias: string) => versions.getModelVersionByAlias(this.db, name, alias);
  searchRegisteredModels: RegistryWrites['searchRegisteredModels'] = (q) =>
    search.searchRegisteredModels(this.db, this.dialect, q);
  searchModelVersions: RegistryWrites['searchModelVersions'] = (q) =>
    search.searchModelVersions(this.db, this.dialect, q);
  listRegistryEvents: RegistryWrites['listRegistryEvents'] = (q) => events.listRegistryEvents(this.db, q);
  findDeletedModelId = (name: string) => events.findDeletedModelId(this.db, name);

  lockModel = (name: string) => models.lockModel(this.db, this.dialect, name);
  findNameClash = (nameKey: string, exceptId?: number) => models.findNameClash(this.db, nameKey, exceptId);
  insertRegisteredModel: RegistryWrites['insertRegisteredModel'] = (m) =>
    models.insertRegisteredModel(this.db, this.dialect, m);
  updateRegisteredModel: RegistryWrites['updateRegisteredModel'] = (id, patch) =>
    models.updateRegisteredModel(this.db, this.dialect, id, patch);
  deleteRegisteredModel = (id: number) => models.deleteRegisteredModel(this.db, id);
  setRegisteredModelTag = (id: number, tag: Tag) => models.setRegisteredModelTag(this.db, id, tag);
  deleteRegisteredModelTag = (id: number, key: string) => models.deleteRegisteredModelTag(this.db, id, key);
  insertModelVersion: RegistryWrites['insertModelVersion'] = (id, mv) => versions.insertModelVersion(this.db, id, mv);
  updateModelVersion: RegistryWrites['updateModelVersion'] = (id, version, patch) =>
    versions.updateModelVersion(this.db, id, version, patch);
  touchModelVersions = (id: number, time: number) => versions.touchModelVersions(this.db, id, time);
  versionsInStage: RegistryWrites['versionsInStage'] = (id, stage) => versions.versionsInStage(this.db, id, stage);
  deleteModelVersion = (id: number, version: number) => versions.deleteModelVersion(this.db, id, version);
  setModelVersionTag = (id: number, version: number, tag: Tag) =>
    versions.setModelVersionTag(this.db, id, version, tag);
  deleteModelVersionTag = (id: number, version: number, key: string) =>
    versions.deleteModelVersionTag(this.db, id, version, key);
  setAlias = (id: number, alias: string, version: number) => versions.setAlias(this.db, id, alias, version);
  deleteAlias = (id: number, alias: string) => versions.deleteAlias(this.db, id, alias);
  appendRegistryEvent: RegistryWrites['appendRegistryEvent'] = (e) => events.appendRegistryEvent(this.db, e);
  enqueueWebhookDeliveries: RegistryWrites['enqueueWebhookDeliveries'] = (event, data, time) =>
    enqueueDeliveries(webhookDb(this.db), this.dialect, event, data, time);
}

export class SqlRegistryStore extends SqlRegistryOperations implements RegistryStore {
  async write<T>(work: (tx: RegistryWrites) => Promise<T>): Promise<T> {
    try {
      return await this.dialect.transaction(this.db, (trx) => work(new SqlRegistryOperations(trx, this.dialect)));
    } catch (error) {
      throw this.dialect.translateError(error);
    }
  }

  async writeModel<T>(name: string, work: (tx: RegistryWrites) => Promise<T>): Promise<T> {
    try {
      return await this.dialect.transaction(
        this.db,
        async (trx) => {
          await models.lockModel(trx, this.dialect, name);
          return work(new SqlRegistryOperations(trx, this.dialect));
        },
        'row-locked',
      );
    } catch (error) {
      throw this.dialect.translateError(error);
    }
  }
}
