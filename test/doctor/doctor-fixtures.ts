/**
 * Helpers for the doctor tests: doctor services over a test app's database and artifact store
 * (as `plumb doctor` opens them), direct SQL to inject faults behind the API's back, and lookups
 * into findings.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { type DoctorServices, openDoctor } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Finding } from '../../src/doctor/finding.ts';
import type { TestApp } from '../helpers/test-server.ts';

export interface DoctorTarget {
  /** The database (default: the test app's SQLite file). */
  readonly backendStoreUri?: string;
  /** The artifact store (default: the test app's `mlartifacts`). */
  readonly artifactsDestination?: string;
  readonly env?: Record<string, string>;
}

export function sqliteUriOf(test: TestApp): string {
  return `sqlite:///${join(test.dir, 'mlruns.db')}`;
}

/** Doctor services as `plumb doctor` run in `dir` opens them; `repair` opens the database writable. */
export function doctorAt(
  dir: string,
  target: DoctorTarget & { backendStoreUri: string },
  repair = false,
): Promise<DoctorServices> {
  const config = loadConfig(
    { PLUMB_LOG_LEVEL: 'silent', ...target.env },
    {
      backendStoreUri: target.backendStoreUri,
      artifactsDestination: target.artifactsDestination ?? join(dir, 'mlartifacts'),
    },
    dir,
  );
  return openDoctor(config, { repair });
}

/** Runs `work` with doctor services over `test`'s stores (or `options`'), and closes them afterwards. */
export async function withDoctor<T>(
  test: TestApp | string,
  work: (doctor: DoctorServices) => Promise<T>,
  options: DoctorTarget & { repair?: boolean } = {},
): Promise<T> {
  const dir = typeof test === 'string' ? test : test.dir;
  const backendStoreUri = options.backendStoreUri ?? (typeof test === 'string' ? undefined : sqliteUriOf(test));
  assert.ok(backendStoreUri, 'withDoctor on a directory needs backendStoreUri');
  const doctor = await doctorAt(dir, { ...options, backendStoreUri }, options.repair ?? false);
  try {
    return await work(doctor);
  } finally {
    await doctor.close();
  }
}

export function ids(findings: readonly Finding[]): string[] {
  return findings.map((f) => f.id).sort();
}

export function findingOf(findings: readonly Finding[], id: string): Finding {
  const found = findings.find((f) => f.id === id);
  assert.ok(found, `no finding ${id} among ${ids(findings).join(', ')}`);
  return found;
}

export function errorsOf(findings: readonly Finding[]): string[] {
  return ids(findings.filter((f) => f.severity === 'error'));
}

/**
 * Runs SQL on a database with foreign keys off, as an operator's manual fix or a damaged restore
 * would: the way orphan rows get in despite the schema's keys.
 */
export async function tamper(uri: string, statements: readonly string[]): Promise<void> {
  if (uri.startsWith('sqlite:')) {
    const db = new Database(uri.replace(/^sqlite:\/\/\//, ''), { fileMustExist: true });
    try {
      db.pragma('foreign_keys = OFF');
      for (const statement of statements) db.exec(statement);
    } finally {
      db.close();
    }
  } else if (uri.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: uri });
    await client.connect();
    try {
      // Foreign keys are triggers here: replica mode skips them (the test user is a superuser).
      await client.query('set session_replication_role = replica');
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
  } else {
    const connection = await mysql.createConnection(uri);
    try {
      await connection.query('set foreign_key_checks = 0');
      for (const statement of statements) await connection.query(statement);
    } finally {
      await connection.end();
    }
  }
}

/** One value from a database, for checks after a repair. */
export async function scalar(uri: string, query: string): Promise<unknown> {
  if (uri.startsWith('sqlite:')) {
    const db = new Database(uri.replace(/^sqlite:\/\/\//, ''), { readonly: true });
    try {
      return db.prepare(query).pluck().get();
    } finally {
      db.close();
    }
  }
  if (uri.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: uri });
    await client.connect();
    try {
      const result = await client.query(query);
      return Object.values(result.rows[0] ?? {})[0];
    } finally {
      await client.end();
    }
  }
  const connection = await mysql.createConnection(uri);
  try {
    const [rows] = await connection.query(query);
    return Object.values((rows as Record<string, unknown>[])[0] ?? {})[0];
  } finally {
    await connection.end();
  }
}
