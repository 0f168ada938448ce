import type { NativeBackupTool } from '../native-backup.ts';
import { findTool, runTool } from '../sql/external-tool.ts';

/** The URI without its password, which travels in PGPASSWORD instead of on the command line. */
function splitSecret(connectionString: string): { uri: string; env: Record<string, string> } {
  const url = new URL(connectionString);
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { uri: url.toString(), env: password ? { PGPASSWORD: password } : {} };
}

/**
 * pg_dump (plain SQL) and psql, when both are installed. The row counts and the dump come from one
 * snapshot: a transaction exports it (pg_export_snapshot), counts, and pg_dump --snapshot reads it.
 */
export async function findPgDumpBackup(options: { connectionString: string }): Promise<NativeBackupTool | undefined> {
  if (!(await findTool(['pg_dump'])) || !(await findTool(['psql']))) return undefined;
  const { uri, env } = splitSecret(options.connectionString);
  return {
    engine: 'postgres',
    tool: 'pg_dump',
    fileName: 'metadata.pg.sql',
    replacesDatabase: false,
    async backup(file, tables) {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: options.connectionString, application_name: 'plumb backup' });
      await client.connect();
      try {
        await client.query('begin isolation level repeatable read read only');
        const snapshot = (await client.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0]!.id;
        const rowCounts: Record<string, number> = {};
        for (const table of tables) {
          rowCounts[table] = Number(
            (await client.query<{ n: string }>(`select count(*) as n from "${table}"`)).rows[0]!.n,
          );
        }
        await runTool(
          'pg_dump',
          ['--snapshot', snapshot, '--no-owner', '--no-privileges', '--format=plain', '--file', file, '--dbname', uri],
          { env },
        );
        await client.query('commit');
        return { rowCounts, exact: true };
      } finally {
        await client.end();
      }
    },
    async restore(file) {
      await runTool(
        'psql',
        ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '--file', file, '--dbname', uri],
        {
          env,
        },
      );
    },
  };
}
