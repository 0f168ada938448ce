import { setTimeout as setTimer } from 'node:timers';
import { batchEnd, type LogBatchBody, type LogItem, logBatchBody } from './batching.ts';
import { AsyncLoggingError, PlumbClientError } from './errors.ts';

export interface AsyncLoggerSettings {
  readonly maxQueuedValues: number;
  readonly maxInFlight: number;
  readonly lingerMs: number;
}

/** One run's values in the order they were logged, each with its sequence number (for flush). */
class RunQueue {
  items: LogItem[] = [];
  seqs: number[] = [];
  head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /** Drops the sent prefix once it is most of the arrays, so memory follows what is still queued. */
  compact(): void {
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.seqs = this.seqs.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * Queues metrics, params and tags and sends them as log-batch requests in the background.
 *
 * - Bounded: at most maxQueuedValues values wait; a logging call awaits room (backpressure) and
 *   nothing is ever dropped to make space.
 * - Coalescing: a run's values go out 1000 at a time (within every log-batch limit, see
 *   batching.ts); a partial batch waits lingerMs for company, or goes at once on flush().
 * - Concurrent: up to maxInFlight requests at once. Metrics and params do not depend on the order
 *   their batches land in (the server keeps a key's latest point by step, timestamp and value, not
 *   by arrival; params are write-once), but tags overwrite, so at most one request carrying tags is
 *   in flight and tags land in the order they were set.
 * - Errors: a failed request (after the transport's retries) is remembered; the next logging call,
 *   flush() or close() throws it as AsyncLoggingError, once.
 */
export class AsyncLogger {
  private readonly queues = new Map<string, RunQueue>();
  private queued = 0;
  private nextSeq = 0;
  /** Values with a smaller sequence number go out even as a partial batch (linger over, or flushed). */
  private forceBelow = 0;
  private inFlight = 0;
  private inFlightValues = 0;
  private nextBatchId = 0;
  /** The smallest sequence number in each request in flight. */
  private readonly inFlightMinSeq = new Map<number, number>();
  private tagLaneBusy = false;
  private linger: NodeJS.Timeout | undefined;
  private failure: { error: unknown; lostValues: number; requests: number } | undefined;
  private spaceWaiters: (() => void)[] = [];
  private flushWaiters: { target: number; resolve: () => void }[] = [];
  private closed = false;

  constructor(
    private readonly settings: AsyncLoggerSettings,
    private readonly send: (body: LogBatchBody) => Promise<void>,
  ) {}

  /** Resolves once every item is queued (not yet sent); awaits while the queue is full. */
  async enqueue(runId: string, items: readonly LogItem[]): Promise<void> {
    this.throwFailure();
    if (this.closed) throw new PlumbClientError('The client is closed: nothing more can be logged');
    for (let offset = 0; offset < items.length; ) {
      const room = this.settings.maxQueuedValues - this.queued;
      if (room <= 0) {
        // A full queue is reason enough to send partial batches now rather than after the linger.
        this.forceBelow = this.nextSeq;
        this.pump();
        await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
        continue;
      }
      // Looked up after each wait: a run's queue is dropped while it is empty.
      let queue = this.queues.get(runId);
      if (queue === undefined) {
        queue = new RunQueue();
        this.queues.set(runId, queue);
      }
      const take = Math.min(room, items.length - offset);
      for (let i = offset; i < offset + take; i++) {
        queue.items.push(items[i]!);
        queue.seqs.push(this.nextSeq++);
      }
      this.queued += take;
      offset += take;
      this.pump();
    }
  }

  /** Resolves when every value queued before the call is stored; throws if any request failed. */
  async flush(): Promise<void> {
    const target = this.nextSeq;
    this.forceBelow = Math.max(this.forceBelow, target);
    this.pump();
    if (this.lowestOutstanding() < target) {
      await new Promise<void>((resolve) => this.flushWaiters.push({ target, resolve }));
    }
    this.throwFailure();
  }

  /** Flushes, then refuses further values. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    if (this.linger !== undefined) clearTimeout(this.linger);
  }

  /** Values queued or in flight. */
  get pending(): number {
    return this.queued + this.inFlightValues;
  }

  private throwFailure(): void {
    const failure = this.failure;
    if (failure === undefined) return;
    this.failure = undefined;
    throw new AsyncLoggingError(failure.lostValues, failure.requests, failure.error);
  }

  private pump(): void {
    while (this.inFlight < this.settings.maxInFlight) {
      if (!this.sendOne()) break;
    }
    if (this.queued > 0 && this.linger === undefined) {
      this.linger = setTimer(() => {
        this.linger = undefined;
        this.forceBelow = Math.max(this.forceBelow, this.nextSeq);
        this.pump();
      }, this.settings.lingerMs);
    }
  }

  /** Sends one batch from the first run that has one ready; false when none has. */
  private sendOne(): boolean {
    for (const [runId, queue] of this.queues) {
      if (queue.size === 0) continue;
      const ready = queue.size >= 1000 || queue.seqs[queue.head]! < this.forceBelow;
      if (!ready) continue;
      const end = batchEnd(queue.items, queue.head, queue.items.length, this.tagLaneBusy);
      if (end === queue.head) continue;
      const body = logBatchBody(runId, queue.items, queue.head, end);
      const count = end - queue.head;
      const id = this.nextBatchId++;
      this.inFlightMinSeq.set(id, queue.seqs[queue.head]!);
      queue.head = end;
      queue.compact();
      this.queued -= count;
      this.inFlightValues += count;
      // Round robin: the run goes to the back, so one busy run cannot starve the others.
      this.queues.delete(runId);
      if (queue.size > 0) this.queues.set(runId, queue);
      const carriesTags = body.tags.length > 0;
      if (carriesTags) this.tagLaneBusy = true;
      this.inFlight++;
      this.wakeSpaceWaiters();
      this.send(body).then(
        () => this.settle(id, count, carriesTags),
        (error: unknown) => {
          this.failure ??= { error, lostValues: 0, requests: 0 };
          this.failure.lostValues += count;
          this.failure.requests++;
          this.settle(id, count, carriesTags);
        },
      );
      return true;
    }
    return false;
  }

  private settle(id: number, count: number, carriedTags: boolean): void {
    this.inFlight--;
    this.inFlightValues -= count;
    this.inFlightMinSeq.delete(id);
    if (carriedTags) this.tagLaneBusy = false;
    const lowest = this.lowestOutstanding();
    const waiting = this.flushWaiters;
    this.flushWaiters = [];
    for (const waiter of waiting) {
      if (waiter.target <= lowest) waiter.resolve();
      else this.flushWaiters.push(waiter);
    }
    this.pump();
  }

  private wakeSpaceWaiters(): void {
    const waiting = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const resolve of waiting) resolve();
  }

  /** The smallest sequence number not yet stored (queued or in flight); nextSeq when all are. */
  private lowestOutstanding(): number {
    let lowest = this.nextSeq;
    for (const queue of this.queues.values()) {
      if (queue.size > 0) lowest = Math.min(lowest, queue.seqs[queue.head]!);
    }
    for (const seq of this.inFlightMinSeq.values()) lowest = Math.min(lowest, seq);
    return lowest;
  }
}
