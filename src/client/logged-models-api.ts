import type { HttpTransport } from './transport.ts';
import { decodeMetric, type KeyValue, type Metric } from './wire-types.ts';

const API = '/api/2.0/mlflow/logged-models';

export type LoggedModelStatus = 'LOGGED_MODEL_PENDING' | 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED';

/** MLflow 3's logged model, as the REST API carries it. */
export interface LoggedModel {
  readonly info: {
    readonly model_id: string;
    readonly experiment_id: string;
    readonly name: string;
    readonly artifact_uri?: string;
    readonly creation_timestamp_ms?: number;
    readonly last_updated_timestamp_ms?: number;
    readonly status: LoggedModelStatus;
    readonly status_message?: string;
    readonly model_type?: string;
    readonly source_run_id?: string;
    readonly tags?: readonly KeyValue[];
  };
  readonly data: { readonly params?: readonly KeyValue[]; readonly metrics?: readonly Metric[] };
}

const decode = (model: LoggedModel): LoggedModel =>
  model.data.metrics === undefined
    ? model
    : { ...model, data: { ...model.data, metrics: model.data.metrics.map(decodeMetric) } };

/**
 * MLflow 3's logged models (`/api/2.0/mlflow/logged-models`): the model id is part of the path.
 * A metric logged with `model_id` (MetricItem.modelId) becomes one of the model's metrics too.
 */
export class LoggedModelsApi {
  constructor(private readonly http: HttpTransport) {}

  async create(request: {
    experiment_id: string;
    name?: string;
    model_type?: string;
    source_run_id?: string;
    params?: readonly KeyValue[];
    tags?: readonly KeyValue[];
  }): Promise<LoggedModel> {
    const reply = await this.http.json<{ model: LoggedModel }>('POST', API, { body: request, idempotent: false });
    return decode(reply.model);
  }

  async get(modelId: string, options: { allow_deleted?: boolean } = {}): Promise<LoggedModel> {
    const reply = await this.http.json<{ model: LoggedModel }>('GET', `${API}/${encodeURIComponent(modelId)}`, {
      query: options.allow_deleted === undefined ? {} : { allow_deleted: options.allow_deleted },
      idempotent: true,
    });
    return decode(reply.model);
  }

  /** Marks the model READY (its artifacts are complete) or UPLOAD_FAILED. */
  async finalize(modelId: string, status: 'READY' | 'UPLOAD_FAILED'): Promise<LoggedModel> {
    const reply = await this.http.json<{ model: LoggedModel }>('PATCH', `${API}/${encodeURIComponent(modelId)}`, {
      body: { status: `LOGGED_MODEL_${status}` },
      idempotent: true,
    });
    return decode(reply.model);
  }

  async search(request: {
    experiment_ids: readonly string[];
    filter?: string;
    datasets?: readonly { dataset_name: string; dataset_digest?: string }[];
    order_by?: readonly { field_name: string; ascending?: boolean; dataset_name?: string; dataset_digest?: string }[];
    max_results?: number;
    page_token?: string;
  }): Promise<{ models: LoggedModel[]; next_page_token?: string }> {
    const reply = await this.http.json<{ models?: LoggedModel[]; next_page_token?: string }>('POST', `${API}/search`, {
      body: request,
      idempotent: true,
    });
    return { ...reply, models: (reply.models ?? []).map(decode) };
  }

  async setTags(modelId: string, tags: readonly KeyValue[]): Promise<void> {
    await this.http.json('PATCH', `${API}/${encodeURIComponent(modelId)}/tags`, { body: { tags }, idempotent: true });
  }

  async logParams(modelId: string, params: readonly KeyValue[]): Promise<void> {
    await this.http.json('POST', `${API}/${encodeURIComponent(modelId)}/params`, {
      body: { params },
      idempotent: true,
    });
  }

  async delete(modelId: string): Promise<void> {
    await this.http.json('DELETE', `${API}/${encodeURIComponent(modelId)}`, { idempotent: false });
  }
}
