import type { NativeBackupTool } from '../native-backup.ts';
import { findTool, runTool } from '../sql/external-tool.ts';

interface Target {
  readonly args: string[];
  readonly database: string;
  readonly env: Record<string, string>;
}

/** Connection arguments for the client tools; the password travels in MYSQL_PWD, not on the command line. */
function targetOf(uri: string): Target {
  const url = new URL(uri.replace(/^mysql\+[\w-]+:/, 'mysql:'));
  const password = decodeURIComponent(url.password);
  return {
    args: [
      `--host=${url.hostname}`,
      `--port=${url.port || '3306'}`,
      `--user=${decodeURIComponent(url.username)}`,
      '--default-character-set=utf8mb4',
    ],
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
    env: password ? { MYSQL_PWD: password } : {},
  };
}

/**
 * mysqldump (or MariaDB's mariadb-dump) and the matching client, when installed. The dump is one
 * consistent snapshot (--single-transaction); the row counts come from a snapshot taken just before
 * it, so they may differ when servers write meanwhile (the manifest says they are not exact).
 */
export async function findMysqlDumpBackup(options: { uri: string }): Promise<NativeBackupTool | undefined> {
  const dump = await findTool(['mariadb-dump', 'mysqldump']);
  const client = await findTool(['mariadb', 'mysql']);
  if (!dump || !client) return undefined;
  const target = targetOf(options.uri);
  return {
    engine: 'mysql',
    tool: dump,
    fileName: 'metadata.mysql.sql',
    replacesDatabase: false,
    async backup(file, tables) {
      const mysql = await import('mysql2/promise');
      const url = new URL(options.uri.replace(/^mysql\+[\w-]+:/, 'mysql:'));
      const connection = await mysql.createConnection({
        host: url.hostname,
        port: url.port ? Number(url.port) : 3306,
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        database: target.database,
      });
      const rowCounts: Record<string, number> = {};
      try {
        await connection.query('start transaction with consistent snapshot, read only');
        for (const table of tables) {
          const [rows] = await connection.query(`select count(*) as n from \`${table}\``);
          rowCounts[table] = Number((rows as { n: number | string }[])[0]!.n);
        }
        await connection.query('commit');
      } finally {
        await connection.end();
      }
      await runTool(
        dump,
        [
          ...target.args,
          '--single-transaction',
          '--skip-lock-tables',
          '--no-tablespaces',
          '--hex-blob',
          `--result-file=${file}`,
          target.database,
        ],
        { env: target.env },
      );
      return { rowCounts, exact: false };
    },
    async restore(file) {
      await runTool(client, [...target.args, target.database], { env: target.env, stdin: file });
    },
  };
}
