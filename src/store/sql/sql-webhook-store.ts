import type { Kysely } from 'kysely';
import type { WebhookStore } from '../webhook-store.ts';
import type { SqlDialect } from './dialect.ts';
import type { Database } from './schema.ts';
import * as q from './webhook-queries.ts';

/** The webhook half of the metadata port. Every write is its own transaction. */
export class SqlWebhookStore implements WebhookStore {
  private readonly db: q.WebhookDb;

  constructor(
    db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {
    this.db = q.webhookDb(db);
  }

  private async write<T>(work: (db: q.WebhookDb) => Promise<T>): Promise<T> {
    try {
      return await this.dialect.transaction(this.db, work);
    } catch (error) {
      throw this.dialect.translateError(error);
    }
  }

  createWebhook: WebhookStore['createWebhook'] = (webhook) => this.write((db) => q.createWebhook(db, webhook));
  getWebhook: WebhookStore['getWebhook'] = (id) => q.getWebhook(this.db, id);
  listWebhooks: WebhookStore['listWebhooks'] = (page) => q.listWebhooks(this.db, page);
  updateWebhook: WebhookStore['updateWebhook'] = (id, patch) => this.write((db) => q.updateWebhook(db, id, patch));
  deleteWebhook: WebhookStore['deleteWebhook'] = (id) => this.write((db) => q.deleteWebhook(db, id));
  claimDueDeliveries: WebhookStore['claimDueDeliveries'] = (token, limit, leaseMs) =>
    this.write((db) => q.claimDueDeliveries(db, this.dialect, token, limit, leaseMs));
  recordAttempt: WebhookStore['recordAttempt'] = (token, id, attempt, outcome) =>
    this.write((db) => q.recordAttempt(db, this.dialect, token, id, attempt, outcome));
  listDeliveries: WebhookStore['listDeliveries'] = (id, page) => q.listDeliveries(this.db, id, page);
}
