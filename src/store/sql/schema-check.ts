import type { Kysely } from 'kysely';
import type { SchemaCheck, SchemaStatus } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import type { Migrator } from './migrator.ts';
import { declaredUniqueKeys, keyLabel } from './unique-keys.ts';

const CREATE_TABLE = /^\s*create table (?:if not exists )?[`"]?([\w]+)[`"]?/i;
const CREATE_INDEX = /^\s*create (?:unique )?index (?:if not exists )?[`"]?([\w]+)[`"]?/i;

/**
 * Read-only comparison of the database with what its applied migrations created: every table and
 * named index of a migration the migrations table records must exist. Names come from the SQL the
 * migrations compile to for this dialect, so the check cannot drift from the migrations themselves.
 */
export async function checkSchema(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- introspection addresses tables outside the typed schema
  db: Kysely<any>,
  dialect: SqlDialect,
  migrator: Migrator,
): Promise<SchemaCheck> {
  const status: SchemaStatus = await migrator.status();
  const appliedVersions = new Set(status.applied.map((m) => m.version));
  const expectedTables: string[] = [];
  const expectedIndexes: string[] = [];
  const expectedKeys: string[] = [];
  for (const migration of migrator.migrations) {
    if (!appliedVersions.has(migration.version)) continue;
    expectedKeys.push(...declaredUniqueKeys(migration.build(db, dialect)).map(keyLabel));
    for (const statement of migrator.plan(migration).statements) {
      const table = CREATE_TABLE.exec(statement)?.[1];
      if (table) expectedTables.push(table);
      const index = CREATE_INDEX.exec(statement)?.[1];
      if (index) expectedIndexes.push(index);
    }
  }
  const tables = new Set((await db.introspection.getTables()).map((t) => t.name.toLowerCase()));
  const indexes = new Set((await dialect.listIndexNames(db)).map((name) => name.toLowerCase()));
  const keys = new Set((await dialect.listUniqueKeys(db)).map(keyLabel));
  return {
    ...status,
    // A missing unique key lets duplicates in silently: the guarantee behind idempotent metric
    // retries, write-once params and dense registry versions.
    missingUniqueKeys: expectedKeys.filter((k) => !keys.has(k)),
    missingTables: expectedTables.filter((t) => !tables.has(t.toLowerCase())),
    missingIndexes: expectedIndexes.filter((i) => !indexes.has(i.toLowerCase())),
  };
}
