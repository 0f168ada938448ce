import { type Kysely, sql } from 'kysely';
import { isMlflowError, MlflowError } from '../../core/errors.ts';

/** How concurrent writes to runs are grouped into transactions. */
export interface WriteGroupSettings {
  /** Groups in flight at once: 1 where the engine has one writer (SQLite), more on a server engine. */
  readonly lanes: number;
  /** Requests in one transaction at most (PostgreSQL keeps 64 subtransactions in shared memory). */
  readonly maxRequests: number;
  /** Rows (metrics + params + tags) in one transaction at most, so a group's latency stays bounded. */
  readonly maxRows: number;
  /** Rows waiting at most; beyond it a request is refused with 503 and Retry-After. */
  readonly maxQueuedRows: number;
}

export const DEFAULT_WRITE_GROUPS: WriteGroupSettings = {
  lanes: 1,
  maxRequests: 48,
  maxRows: 20_000,
  maxQueuedRows: 200_000,
};

/**
 * The settings for an engine: one lane without a pool (SQLite's single writer); with a pool, half
 * of it writes groups and the rest stays free for reads and other writes.
 */
export function writeGroupSettings(options: { poolSize?: number; maxQueuedRows?: number }): WriteGroupSettings {
  return {
    ...DEFAULT_WRITE_GROUPS,
    lanes: options.poolSize === undefined ? 1 : Math.max(1, Math.floor(options.poolSize / 2)),
    maxQueuedRows: options.maxQueuedRows ?? DEFAULT_WRITE_GROUPS.maxQueuedRows,
  };
}

/**
 * What a store reports to the telemetry module (src/telemetry), which turns it into metrics and
 * spans: the store itself knows nothing of Prometheus or OpenTelemetry. Every hook is optional and
 * called synchronously on the write path, so implementations must be cheap.
 */
export interface StoreObserver {
  /** The write queue changed: requests and rows waiting for a group commit. */
  queueChanged?(requests: number, rows: number): void;
  /** A group transaction committed `requests` requests carrying `rows` rows. */
  groupCommitted?(requests: number, rows: number): void;
  /** Wraps every transaction the SQL store runs (the span of a store transaction); `system` is the engine. */
  transaction?<T>(run: () => Promise<T>, info: { readonly system: string }): Promise<T>;
}

/** Seconds a refused client is asked to wait: about one full queue's drain time. */
const RETRY_AFTER_SECONDS = 1;

/**
 * One transaction with a run's row locked: the engine-specific part (BEGIN IMMEDIATE on SQLite,
 * READ COMMITTED + FOR UPDATE with deadlock retries on PostgreSQL and MySQL).
 */
export type RunTransaction<DB> = <T>(work: (trx: Kysely<DB>) => Promise<T>) => Promise<T>;
export type LockRun<DB> = (trx: Kysely<DB>, runId: string) => Promise<void>;

interface Pending<DB> {
  readonly runId: string;
  readonly rows: number;
  readonly work: (trx: Kysely<DB>) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * Group commit for writes to runs. Concurrent requests queue here; a writer takes as many as fit
 * (in run-id order, so two groups lock their runs in the same order and cannot deadlock on each
 * other) and runs them in ONE transaction, each inside its own savepoint. A request whose own work
 * fails is rolled back to its savepoint and answered with its error; its neighbours still commit.
 * Every request is answered only after the transaction holding its rows has committed. When the
 * group transaction itself fails (a deadlock the engine rolled back whole, a lost connection), each
 * of its requests runs again alone, so one request can never fail another.
 */
export class WriteGroups<DB> {
  private readonly queue: Pending<DB>[] = [];
  private queuedRows = 0;
  private running = 0;
  private pumpScheduled = false;

  constructor(
    private readonly transaction: RunTransaction<DB>,
    private readonly lockRun: LockRun<DB>,
    private readonly settings: WriteGroupSettings,
    private readonly observer: StoreObserver = {},
  ) {}

  /** Queue depth, for metrics and tests. */
  get queued(): { readonly requests: number; readonly rows: number } {
    return { requests: this.queue.length, rows: this.queuedRows };
  }

  submit<T>(runId: string, rows: number, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
    // A request bigger than the whole queue is still taken when the queue is empty: refusing it
    // would refuse it forever.
    if (this.queuedRows > 0 && this.queuedRows + rows > this.settings.maxQueuedRows) {
      return Promise.reject(
        new MlflowError(
          'TEMPORARILY_UNAVAILABLE',
          `The server is busy: ${this.queuedRows} rows are waiting to be written. Retry the request after ${RETRY_AFTER_SECONDS} s.`,
          undefined,
          RETRY_AFTER_SECONDS,
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ runId, rows, work, resolve: resolve as (value: unknown) => void, reject });
      this.queuedRows += rows;
      this.observer.queueChanged?.(this.queue.length, this.queuedRows);
      this.schedulePump();
    });
  }

  /**
   * Groups start on the event loop's next turn, not at once: requests whose bodies arrived in the
   * same I/O phase are all queued by then. On SQLite this is what makes groups at all: its driver
   * is synchronous, so a transaction started at once would commit before any other request is read.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.settings.lanes && this.queue.length > 0) {
      const group = this.takeGroup();
      this.running++;
      void this.commit(group).finally(() => {
        this.running--;
        this.schedulePump();
      });
    }
  }

  private takeGroup(): Pending<DB>[] {
    const group: Pending<DB>[] = [];
    let rows = 0;
    while (this.queue.length > 0 && group.length < this.settings.maxRequests) {
      const next = this.queue[0]!;
      if (group.length > 0 && rows + next.rows > this.settings.maxRows) break;
      this.queue.shift();
      this.queuedRows -= next.rows;
      rows += next.rows;
      group.push(next);
    }
    this.observer.queueChanged?.(this.queue.length, this.queuedRows);
    return group.sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
  }

  private async commit(group: readonly Pending<DB>[]): Promise<void> {
    if (group.length === 1) return this.commitAlone(group[0]!);
    let outcomes: Outcome[];
    try {
      outcomes = await this.transaction((trx) => this.runGroup(trx, group));
    } catch {
      // Nothing of the group committed: give each request a transaction of its own.
      await Promise.all(group.map((pending) => this.commitAlone(pending)));
      return;
    }
    this.observer.groupCommitted?.(
      group.length,
      group.reduce((sum, p) => sum + p.rows, 0),
    );
    group.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }

  private async runGroup(trx: Kysely<DB>, group: readonly Pending<DB>[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const pending of group) {
      await sql`savepoint plumb_request`.execute(trx);
      try {
        await this.lockRun(trx, pending.runId);
        const value = await pending.work(trx);
        await sql`release savepoint plumb_request`.execute(trx);
        outcomes.push({ ok: true, value });
      } catch (error) {
        // A database error (deadlock, lost connection) may have ended the transaction: the whole
        // group goes back, and commit() runs each request alone. A rule the request broke is its own.
        if (!isMlflowError(error) || error.code === 'TEMPORARILY_UNAVAILABLE') throw error;
        await sql`rollback to savepoint plumb_request`.execute(trx);
        await sql`release savepoint plumb_request`.execute(trx);
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  }

  private async commitAlone(pending: Pending<DB>): Promise<void> {
    try {
      const value = await this.transaction(async (trx) => {
        await this.lockRun(trx, pending.runId);
        return pending.work(trx);
      });
      this.observer.groupCommitted?.(1, pending.rows);
      pending.resolve(value);
    } catch (error) {
      pending.reject(error);
    }
  }
}
