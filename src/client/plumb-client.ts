import type { Writable } from 'node:stream';
import { ArtifactsApi, type DownloadResult, type UploadSource } from './artifacts-api.ts';
import { AsyncLogger } from './async-logger.ts';
import { batches, type LogItem } from './batching.ts';
import { type PlumbClientOptions, resolveClientOptions } from './client-options.ts';
import { MlflowApiError, PlumbClientError } from './errors.ts';
import { LoggedModelsApi } from './logged-models-api.ts';
import { RegistryApi } from './registry-api.ts';
import { TrackingApi } from './tracking-api.ts';
import { HttpTransport } from './transport.ts';
import type { FileInfo, RunInfo, RunStatus } from './wire-types.ts';

export interface StartRunOptions {
  /**
   * Default: `experimentName`'s experiment, else `MLFLOW_EXPERIMENT_ID`, else `MLFLOW_EXPERIMENT_NAME`'s
   * experiment, else MLflow's Default experiment ('0').
   */
  readonly experimentId?: string;
  /** An experiment looked up by name, and created when there is none. */
  readonly experimentName?: string;
  readonly runName?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly startTime?: number;
}

export interface StepOptions {
  readonly step?: number;
  /** Milliseconds since the epoch; the time of the call by default. */
  readonly timestamp?: number;
}

type ParamValue = string | number | boolean;

/**
 * Plumb's client: the typed endpoint APIs (`tracking`, `registry`, `loggedModels`, `artifacts`) plus fluent
 * helpers that batch what they log. With `asyncLogging`, logging calls return once their values
 * are queued and a background flusher sends them; `flush()` waits until they are stored.
 */
export class PlumbClient {
  readonly tracking: TrackingApi;
  readonly registry: RegistryApi;
  readonly loggedModels: LoggedModelsApi;
  readonly artifacts: ArtifactsApi;
  private readonly logger: AsyncLogger | undefined;
  private readonly artifactRoots = new Map<string, string>();
  private readonly defaultExperiment: { readonly id?: string; readonly name?: string };

  constructor(options: PlumbClientOptions = {}) {
    const resolved = resolveClientOptions(options);
    const http = new HttpTransport(resolved);
    this.defaultExperiment = resolved.defaultExperiment;
    this.tracking = new TrackingApi(http);
    this.registry = new RegistryApi(http);
    this.loggedModels = new LoggedModelsApi(http);
    this.artifacts = new ArtifactsApi(http, {
      thresholdBytes: resolved.multipartThresholdBytes,
      partBytes: resolved.multipartPartBytes,
      concurrency: resolved.multipartConcurrency,
    });
    this.logger = resolved.asyncLogging && new AsyncLogger(resolved.asyncLogging, (b) => this.tracking.logBatch(b));
  }

  async startRun(options: StartRunOptions = {}): Promise<ActiveRun> {
    const fallback = this.defaultExperiment;
    const experimentId =
      options.experimentId ??
      (options.experimentName === undefined ? fallback.id : undefined) ??
      (await this.experimentIdOf(options.experimentName ?? fallback.name));
    const run = await this.tracking.createRun({
      experiment_id: experimentId,
      ...(options.runName === undefined ? {} : { run_name: options.runName }),
      start_time: options.startTime ?? Date.now(),
      tags: Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value })),
    });
    return new ActiveRun(this, run.info);
  }

  /**
   * Runs `body` inside a new run: the run ends FINISHED when it resolves, FAILED when it throws
   * (the error is rethrown). Values logged inside are flushed before the run ends; if they could
   * not be stored the run ends FAILED and the logging error is thrown.
   */
  async withRun<T>(options: StartRunOptions, body: (run: ActiveRun) => Promise<T>): Promise<T> {
    const run = await this.startRun(options);
    let result: T;
    try {
      result = await body(run);
    } catch (error) {
      await this.endRun(run.id, 'FAILED').catch(() => undefined);
      throw error;
    }
    await this.endRun(run.id, 'FINISHED');
    return result;
  }

  async logMetric(runId: string, key: string, value: number, options: StepOptions = {}): Promise<void> {
    await this.logBatch(runId, [
      { kind: 'metric', key, value, timestamp: options.timestamp ?? Date.now(), step: options.step ?? 0 },
    ]);
  }

  /** Several metrics of one step, e.g. `{ loss: 0.3, accuracy: 0.9 }`. */
  async logMetrics(runId: string, metrics: Readonly<Record<string, number>>, options: StepOptions = {}): Promise<void> {
    const timestamp = options.timestamp ?? Date.now();
    const step = options.step ?? 0;
    const items: LogItem[] = [];
    for (const key in metrics) items.push({ kind: 'metric', key, value: metrics[key]!, timestamp, step });
    await this.logBatch(runId, items);
  }

  async logParams(runId: string, params: Readonly<Record<string, ParamValue>>): Promise<void> {
    await this.logBatch(
      runId,
      Object.entries(params).map(([key, value]) => ({ kind: 'param', key, value: String(value) })),
    );
  }

  async setTags(runId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await this.logBatch(
      runId,
      Object.entries(tags).map(([key, value]) => ({ kind: 'tag', key, value })),
    );
  }

  /**
   * Logs any number of values into a run. Synchronous mode sends them now, split into log-batch
   * requests the server accepts; async mode queues them (awaiting room when the queue is full).
   */
  async logBatch(runId: string, items: readonly LogItem[]): Promise<void> {
    if (this.logger !== undefined) return this.logger.enqueue(runId, items);
    for (const body of batches(runId, items)) await this.tracking.logBatch(body);
  }

  /**
   * Ends a run after flushing what was logged. A run asked to end FINISHED ends FAILED when some of
   * its queued values could not be stored, and that error is thrown.
   */
  async endRun(runId: string, status: RunStatus = 'FINISHED', endTime: number = Date.now()): Promise<RunInfo> {
    let lost: unknown;
    try {
      await this.flush();
    } catch (error) {
      lost = error;
    }
    const final = lost !== undefined && status === 'FINISHED' ? 'FAILED' : status;
    const info = await this.tracking.updateRun({ run_id: runId, status: final, end_time: endTime });
    if (lost !== undefined) throw lost;
    return info;
  }

  /** Resolves when every value logged before the call is stored (at once without asyncLogging). */
  async flush(): Promise<void> {
    await this.logger?.flush();
  }

  /** Values queued or in flight in the background logger (0 without asyncLogging): for progress reports. */
  get pendingValues(): number {
    return this.logger?.pending ?? 0;
  }

  /** Flushes and stops the background logger; the client logs nothing afterwards. */
  async close(): Promise<void> {
    await this.logger?.close();
  }

  /** Uploads a file, bytes or stream to `artifactPath` under the run's artifact root. */
  async logArtifact(runId: string, source: UploadSource, artifactPath: string): Promise<void> {
    await this.artifacts.upload(`${await this.artifactRoot(runId)}/${artifactPath}`, source);
  }

  async downloadArtifact(runId: string, artifactPath: string, destination: string | Writable): Promise<DownloadResult> {
    return this.artifacts.download(`${await this.artifactRoot(runId)}/${artifactPath}`, destination);
  }

  async listArtifacts(runId: string, path?: string): Promise<FileInfo[]> {
    const root = await this.artifactRoot(runId);
    return this.artifacts.list(path ? `${root}/${path}` : root);
  }

  /** The run's place under the proxy's root, from its `mlflow-artifacts:` URI (fixed when the run was created). */
  private async artifactRoot(runId: string): Promise<string> {
    const known = this.artifactRoots.get(runId);
    if (known !== undefined) return known;
    const uri = (await this.tracking.getRun(runId)).info.artifact_uri ?? '';
    if (!uri.startsWith('mlflow-artifacts:')) {
      throw new PlumbClientError(
        `Run ${runId} stores its artifacts at '${uri}', not through the server's artifact proxy (mlflow-artifacts:)`,
      );
    }
    const root = new URL(uri).pathname.replace(/^\/+|\/+$/g, '');
    this.artifactRoots.set(runId, root);
    return root;
  }

  private async experimentIdOf(name: string | undefined): Promise<string> {
    if (name === undefined) return '0';
    const existing = await this.tracking.getExperimentByName(name).catch(notFoundAsUndefined);
    if (existing !== undefined) return existing.experiment_id;
    try {
      return await this.tracking.createExperiment({ name });
    } catch (error) {
      // Another process created it between our lookup and our create.
      if (!(error instanceof MlflowApiError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
      return (await this.tracking.getExperimentByName(name)).experiment_id;
    }
  }
}

function notFoundAsUndefined(error: unknown): undefined {
  if (error instanceof MlflowApiError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
  throw error;
}

/** A run started by PlumbClient.startRun: the fluent helpers without the run id. `info` is as of its creation. */
export class ActiveRun {
  constructor(
    private readonly client: PlumbClient,
    readonly info: RunInfo,
  ) {}

  get id(): string {
    return this.info.run_id;
  }

  logMetric(key: string, value: number, options?: StepOptions): Promise<void> {
    return this.client.logMetric(this.id, key, value, options);
  }

  logMetrics(metrics: Readonly<Record<string, number>>, options?: StepOptions): Promise<void> {
    return this.client.logMetrics(this.id, metrics, options);
  }

  logParams(params: Readonly<Record<string, ParamValue>>): Promise<void> {
    return this.client.logParams(this.id, params);
  }

  setTags(tags: Readonly<Record<string, string>>): Promise<void> {
    return this.client.setTags(this.id, tags);
  }

  logArtifact(source: UploadSource, artifactPath: string): Promise<void> {
    return this.client.logArtifact(this.id, source, artifactPath);
  }

  end(status: RunStatus = 'FINISHED'): Promise<RunInfo> {
    return this.client.endRun(this.id, status);
  }
}
