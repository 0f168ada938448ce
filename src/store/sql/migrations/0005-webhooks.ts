import type { Migration } from './migration.ts';

/**
 * Webhooks: subscriptions, and the durable outbox of deliveries with every attempt. Deliveries are
 * rows, not an in-memory queue, so a restart loses none and replicas share the work by claiming
 * rows (claim_token + lease_until on the database's clock). Additive: older releases ignore it.
 */
export const webhooksSchema: Migration = {
  version: 5,
  name: 'webhooks',
  minServerRelease: '0.1.0',
  build: (db, dialect) => [
    db.schema
      .createTable('webhooks')
      .addColumn('seq', dialect.autoIncrementType, (c) => dialect.autoIncrementColumn(c))
      .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(256)', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('secret_ciphertext', 'text')
      .addColumn('creation_time', 'bigint', (c) => c.notNull())
      .addColumn('last_updated_time', 'bigint', (c) => c.notNull()),
    db.schema
      .createTable('webhook_subscriptions')
      .addColumn('webhook_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('entity', 'varchar(32)', (c) => c.notNull())
      .addColumn('action', 'varchar(16)', (c) => c.notNull())
      .addPrimaryKeyConstraint('webhook_subscriptions_pk', ['webhook_id', 'entity', 'action']),
    db.schema.createIndex('webhook_subscriptions_event_idx').on('webhook_subscriptions').columns(['entity', 'action']),
    db.schema
      .createTable('webhook_deliveries')
      .addColumn('seq', dialect.autoIncrementType, (c) => dialect.autoIncrementColumn(c))
      .addColumn('delivery_id', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('webhook_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('entity', 'varchar(32)', (c) => c.notNull())
      .addColumn('action', 'varchar(16)', (c) => c.notNull())
      .addColumn('payload_json', 'text', (c) => c.notNull())
      .addColumn('event_time', 'bigint', (c) => c.notNull())
      .addColumn('state', 'varchar(16)', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('claim_token', 'varchar(64)')
      .addColumn('lease_until', 'bigint'),
    db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['state', 'next_attempt_at']),
    db.schema.createIndex('webhook_deliveries_webhook_idx').on('webhook_deliveries').columns(['webhook_id', 'seq']),
    db.schema
      .createTable('webhook_delivery_attempts')
      .addColumn('seq', dialect.autoIncrementType, (c) => dialect.autoIncrementColumn(c))
      .addColumn('delivery_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('attempt_time', 'bigint', (c) => c.notNull())
      .addColumn('response_status', 'integer')
      .addColumn('error', 'text')
      .addColumn('duration_ms', 'integer', (c) => c.notNull()),
    db.schema
      .createIndex('webhook_delivery_attempts_delivery_idx')
      .on('webhook_delivery_attempts')
      .columns(['delivery_id', 'attempt']),
  ],
};
