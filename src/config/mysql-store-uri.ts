/**
 * `uri` is what the user gave (log it through redactUri): mysql://, or SQLAlchemy's
 * mysql+<driver>:// (pymysql, mysqldb, mysqlconnector…) as MLflow users have it; the Python driver
 * suffix is ignored when connecting. MariaDB counts as MySQL.
 */
export interface MysqlStoreConfig {
  readonly kind: 'mysql';
  readonly uri: string;
  readonly poolSize?: number | undefined;
  readonly idleTimeoutMs?: number | undefined;
  readonly statementTimeoutMs?: number | undefined;
}

export const MYSQL_URI = /^mysql(\+\w+)?:\/\//;

/** Query parameters Plumb reads itself (SQLAlchemy's engine options live outside the URI): positive integers. */
const POOL_PARAMS = {
  pool_size: 'poolSize',
  idle_timeout_ms: 'idleTimeoutMs',
  statement_timeout_ms: 'statementTimeoutMs',
} as const;

/** The store config, or a problem to report; `redacted` is the URI as it may appear in the message. */
export function parseMysqlUri(uri: string, redacted: string): MysqlStoreConfig | string {
  let url: URL;
  try {
    url = new URL(uri.replace(/^mysql\+\w+:/, 'mysql:'));
  } catch {
    return `backend store URI '${redacted}' is not a valid MySQL URI (expected mysql://user:password@host:port/database)`;
  }
  if (url.pathname === '' || url.pathname === '/') {
    return `backend store URI '${redacted}' names no database (expected mysql://user:password@host:port/database)`;
  }
  const pool: { -readonly [K in (typeof POOL_PARAMS)[keyof typeof POOL_PARAMS]]?: number } = {};
  for (const [param, key] of Object.entries(POOL_PARAMS)) {
    const value = url.searchParams.get(param);
    if (value === null) continue;
    if (!/^[1-9]\d{0,8}$/.test(value))
      return `backend store URI parameter ${param} must be a positive integer (got '${value}')`;
    pool[key] = Number(value);
  }
  return { kind: 'mysql', uri, ...pool };
}
