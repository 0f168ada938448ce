import type { LogBatchBody } from './batching.ts';
import type { HttpTransport } from './transport.ts';
import {
  type DatasetWire,
  decodeMetric,
  decodeRun,
  type Experiment,
  encodeMetricValue,
  type FileInfo,
  type KeyValue,
  type Metric,
  type Run,
  type RunInfo,
  type RunStatus,
  type ViewType,
} from './wire-types.ts';

const API = '/api/2.0/mlflow';

export interface SearchOptions {
  readonly filter?: string;
  readonly order_by?: readonly string[];
  readonly max_results?: number;
  readonly page_token?: string;
}

/**
 * The tracking API, one method per endpoint, with MLflow's request and response shapes. Writes
 * that leave the same state when repeated (log-*, set-tag, update) are marked idempotent, so the
 * transport may retry them after a lost answer; creates are not.
 */
export class TrackingApi {
  constructor(private readonly http: HttpTransport) {}

  private get<T>(path: string, query: Record<string, string | number | readonly string[] | undefined>): Promise<T> {
    return this.http.json<T>('GET', `${API}/${path}`, { query, idempotent: true });
  }

  private post<T>(path: string, body: unknown, idempotent: boolean): Promise<T> {
    return this.http.json<T>('POST', `${API}/${path}`, { body, idempotent });
  }

  async createExperiment(request: {
    name: string;
    artifact_location?: string;
    tags?: readonly KeyValue[];
  }): Promise<string> {
    return (await this.post<{ experiment_id: string }>('experiments/create', request, false)).experiment_id;
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return (await this.get<{ experiment: Experiment }>('experiments/get', { experiment_id: experimentId })).experiment;
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    return (await this.get<{ experiment: Experiment }>('experiments/get-by-name', { experiment_name: name }))
      .experiment;
  }

  async searchExperiments(
    request: SearchOptions & { view_type?: ViewType } = {},
  ): Promise<{ experiments: Experiment[]; next_page_token?: string }> {
    const reply = await this.post<{ experiments?: Experiment[]; next_page_token?: string }>(
      'experiments/search',
      request,
      true,
    );
    return { ...reply, experiments: reply.experiments ?? [] };
  }

  async updateExperiment(experimentId: string, newName: string): Promise<void> {
    await this.post('experiments/update', { experiment_id: experimentId, new_name: newName }, true);
  }

  /** Not idempotent: a second delete (or restore) answers RESOURCE_DOES_NOT_EXIST, so a lost answer is not retried. */
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.post('experiments/delete', { experiment_id: experimentId }, false);
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.post('experiments/restore', { experiment_id: experimentId }, false);
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.post('experiments/set-experiment-tag', { experiment_id: experimentId, key, value }, true);
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.post('experiments/delete-experiment-tag', { experiment_id: experimentId, key }, false);
  }

  async createRun(request: {
    experiment_id: string;
    run_name?: string;
    user_id?: string;
    start_time?: number;
    tags?: readonly KeyValue[];
  }): Promise<Run> {
    return decodeRun((await this.post<{ run: Run }>('runs/create', request, false)).run);
  }

  async getRun(runId: string): Promise<Run> {
    return decodeRun((await this.get<{ run: Run }>('runs/get', { run_id: runId })).run);
  }

  async updateRun(request: {
    run_id: string;
    status?: RunStatus;
    end_time?: number;
    run_name?: string;
  }): Promise<RunInfo> {
    return (await this.post<{ run_info: RunInfo }>('runs/update', request, true)).run_info;
  }

  async deleteRun(runId: string): Promise<void> {
    await this.post('runs/delete', { run_id: runId }, true);
  }

  async restoreRun(runId: string): Promise<void> {
    await this.post('runs/restore', { run_id: runId }, true);
  }

  async searchRuns(
    request: SearchOptions & { experiment_ids: readonly string[]; run_view_type?: ViewType },
  ): Promise<{ runs: Run[]; next_page_token?: string }> {
    const reply = await this.post<{ runs?: Run[]; next_page_token?: string }>('runs/search', request, true);
    return { ...reply, runs: (reply.runs ?? []).map(decodeRun) };
  }

  async logMetric(
    runId: string,
    metric: { key: string; value: number; timestamp: number; step?: number; model_id?: string },
  ): Promise<void> {
    const body = { run_id: runId, ...metric, value: encodeMetricValue(metric.value), step: metric.step ?? 0 };
    await this.post('runs/log-metric', body, true);
  }

  async logParam(runId: string, key: string, value: string): Promise<void> {
    await this.post('runs/log-parameter', { run_id: runId, key, value }, true);
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.post('runs/set-tag', { run_id: runId, key, value }, true);
  }

  /** Not idempotent: deleting a tag that is gone answers RESOURCE_DOES_NOT_EXIST, so a lost answer is not retried. */
  async deleteTag(runId: string, key: string): Promise<void> {
    await this.post('runs/delete-tag', { run_id: runId, key }, false);
  }

  /** One log-batch request as given; PlumbClient.logBatch splits any number of values into requests like this. */
  async logBatch(body: LogBatchBody): Promise<void> {
    await this.post('runs/log-batch', body, true);
  }

  /** Datasets (and MLflow 3 models) a run used as inputs; logging the same dataset again is a no-op. */
  async logInputs(
    runId: string,
    inputs: {
      datasets?: readonly { dataset: DatasetWire; tags?: readonly KeyValue[] }[];
      models?: readonly { model_id: string }[];
    },
  ): Promise<void> {
    await this.post(
      'runs/log-inputs',
      { run_id: runId, datasets: inputs.datasets ?? [], models: inputs.models ?? [] },
      true,
    );
  }

  /** MLflow 3 logged models a run produced, at a step. */
  async logOutputs(runId: string, models: readonly { model_id: string; step?: number }[]): Promise<void> {
    await this.post('runs/outputs', { run_id: runId, models }, true);
  }

  /** Up to max_results points per run, at evenly spaced steps of [start_step, end_step], for charts over many runs. */
  async getMetricHistoryBulkInterval(request: {
    run_ids: readonly string[];
    metric_key: string;
    start_step?: number;
    end_step?: number;
    max_results?: number;
  }): Promise<Metric[]> {
    const reply = await this.get<{ metrics?: Metric[] }>('metrics/get-history-bulk-interval', request);
    return (reply.metrics ?? []).map(decodeMetric);
  }

  async getMetricHistoryPage(
    runId: string,
    metricKey: string,
    options: { max_results?: number; page_token?: string } = {},
  ): Promise<{ metrics: Metric[]; next_page_token?: string }> {
    const reply = await this.get<{ metrics?: Metric[]; next_page_token?: string }>('metrics/get-history', {
      run_id: runId,
      metric_key: metricKey,
      ...options,
    });
    return { ...reply, metrics: (reply.metrics ?? []).map(decodeMetric) };
  }

  /** Every point of a metric's history, a page at a time, so a long history never sits in memory whole. */
  async *metricHistory(runId: string, metricKey: string, pageSize = 25_000): AsyncGenerator<Metric> {
    let token: string | undefined;
    do {
      const page = await this.getMetricHistoryPage(runId, metricKey, { max_results: pageSize, page_token: token });
      yield* page.metrics;
      token = page.next_page_token || undefined;
    } while (token !== undefined);
  }

  async listArtifacts(
    runId: string,
    path?: string,
    pageToken?: string,
  ): Promise<{ root_uri?: string; files: FileInfo[]; next_page_token?: string }> {
    const reply = await this.get<{ root_uri?: string; files?: FileInfo[]; next_page_token?: string }>(
      'artifacts/list',
      { run_id: runId, path, page_token: pageToken },
    );
    return { ...reply, files: reply.files ?? [] };
  }
}
