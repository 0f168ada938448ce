import { existsSync } from 'node:fs';
import { MlflowError } from '../../core/errors.ts';
import type { MlflowSource } from '../mlflow-source.ts';
import { openMysql } from '../mysql/mysql-dialect.ts';
import { openPostgresPool } from '../postgres/postgres-dialect.ts';
import { openSqlite } from '../sqlite/sqlite-dialect.ts';
import { SqlMlflowSource } from './mlflow-reader.ts';

/** Where an MLflow backend store is, as the composition root has parsed its URI. */
export type MlflowDatabaseLocation =
  | { readonly kind: 'sqlite'; readonly path: string; readonly description: string }
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly description: string }
  | { readonly kind: 'mysql'; readonly uri: string; readonly description: string };

/**
 * Opens an MLflow database for reading, with the same drivers as Plumb's own store: SQLite read-only
 * (the file is never created or changed, not even its journal mode), PostgreSQL in read-only
 * transactions, MySQL with a small pool.
 */
export function openMlflowSource(location: MlflowDatabaseLocation): MlflowSource {
  switch (location.kind) {
    case 'sqlite': {
      if (location.path === ':memory:' || !existsSync(location.path)) {
        throw MlflowError.invalidParameter(`MLflow database file ${location.path} does not exist`);
      }
      const { db } = openSqlite({ path: location.path, readOnly: true });
      return new SqlMlflowSource(db, location.description);
    }
    case 'postgres': {
      const { db } = openPostgresPool({ connectionString: location.connectionString, poolSize: 2, readOnly: true });
      return new SqlMlflowSource(db, location.description);
    }
    case 'mysql': {
      const { db } = openMysql({ uri: location.uri, connectionLimit: 2, readOnly: true });
      return new SqlMlflowSource(db, location.description);
    }
    default: {
      const unknown: never = location;
      throw new MlflowError('INVALID_STATE', `Unsupported MLflow database ${JSON.stringify(unknown)}`);
    }
  }
}
