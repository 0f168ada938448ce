import type { Compilable, Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.ts';

/**
 * One forward-only schema change. Its checksum is taken over the SQL it compiles to for the
 * dialect at hand, so an edited migration is caught even when only a column type changed.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /**
   * The oldest server release that can still run on a schema that includes this migration. An
   * additive (expand) migration keeps the previous release's number, so replicas can be upgraded
   * one at a time.
   */
  readonly minServerRelease: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- DDL addresses tables outside the typed schema
  build(db: Kysely<any>, dialect: SqlDialect): readonly Compilable[];
}
