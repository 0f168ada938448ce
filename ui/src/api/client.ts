import type {
  DownsampledHistory,
  Experiment,
  LoggedModel,
  Metric,
  MlModelSummary,
  StoreStatus,
  ModelVersion,
  NodeInfo,
  Page,
  RegisteredModel,
  RegistryEvent,
  Run,
  ViewType,
} from './types.ts';

/** A failed API call: MLflow's `{ error_code, message }`, or the transport's failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Fetcher = (input: string, init?: RequestInit) => Promise<Response>;

const MLFLOW = '/ajax-api/2.0/mlflow';
const PLUMB = '/ajax-api/2.0/plumb';

/**
 * The server's public HTTP API, as the UI uses it. Every call takes an AbortSignal so a page that
 * goes away (or a newer request for the same view) cancels what it no longer needs.
 */
export class PlumbApi {
  constructor(private readonly fetcher: Fetcher = (input, init) => fetch(input, init)) {}

  async searchExperiments(
    options: { filter?: string; viewType?: ViewType; pageToken?: string; maxResults?: number },
    signal?: AbortSignal,
  ): Promise<Page<Experiment>> {
    const body = await this.post<{ experiments?: Experiment[]; next_page_token?: string }>(
      '/experiments/search',
      {
        max_results: options.maxResults ?? 200,
        filter: options.filter || undefined,
        view_type: options.viewType ?? 'ACTIVE_ONLY',
        page_token: options.pageToken,
        order_by: ['last_update_time DESC'],
      },
      signal,
    );
    return { items: body.experiments ?? [], nextPageToken: body.next_page_token || undefined };
  }

  async getExperiment(experimentId: string, signal?: AbortSignal): Promise<Experiment> {
    const body = await this.get<{ experiment: Experiment }>(
      `${MLFLOW}/experiments/get`,
      { experiment_id: experimentId },
      signal,
    );
    return body.experiment;
  }

  async createExperiment(name: string): Promise<string> {
    const body = await this.post<{ experiment_id: string }>('/experiments/create', { name });
    return body.experiment_id;
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.post('/experiments/update', { experiment_id: experimentId, new_name: newName });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.post('/experiments/delete', { experiment_id: experimentId });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.post('/experiments/restore', { experiment_id: experimentId });
  }

  async searchRuns(
    options: {
      experimentIds: readonly string[];
      filter?: string;
      orderBy?: readonly string[];
      viewType?: ViewType;
      pageToken?: string;
      maxResults?: number;
    },
    signal?: AbortSignal,
  ): Promise<Page<Run>> {
    const body = await this.post<{ runs?: Run[]; next_page_token?: string }>(
      '/runs/search',
      {
        experiment_ids: options.experimentIds,
        filter: options.filter || undefined,
        order_by: options.orderBy && options.orderBy.length > 0 ? options.orderBy : undefined,
        run_view_type: options.viewType ?? 'ACTIVE_ONLY',
        page_token: options.pageToken,
        max_results: options.maxResults ?? 1000,
      },
      signal,
    );
    return { items: body.runs ?? [], nextPageToken: body.next_page_token || undefined };
  }

  async getRun(runId: string, signal?: AbortSignal): Promise<Run> {
    const body = await this.get<{ run: Run }>(`${MLFLOW}/runs/get`, { run_id: runId }, signal);
    return body.run;
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.post('/runs/set-tag', { run_id: runId, key, value });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.post('/runs/delete-tag', { run_id: runId, key });
  }

  /** Plumb's chart read: at most `maxPoints` points of one history, each bucket's least and greatest kept. */
  async downsampledHistory(
    options: { runId: string; metricKey: string; maxPoints: number; startStep?: number; endStep?: number },
    signal?: AbortSignal,
  ): Promise<DownsampledHistory> {
    const query: Record<string, string> = {
      run_id: options.runId,
      metric_key: options.metricKey,
      max_points: String(options.maxPoints),
    };
    if (options.startStep !== undefined) query.start_step = String(Math.floor(options.startStep));
    if (options.endStep !== undefined) query.end_step = String(Math.ceil(options.endStep));
    const body = await this.get<{ metrics?: Metric[]; step_bucket_width?: number }>(
      `${PLUMB}/metrics/get-history-downsampled`,
      query,
      signal,
    );
    return { metrics: body.metrics ?? [], stepBucketWidth: body.step_bucket_width };
  }

  async listArtifacts(
    runId: string,
    path: string | undefined,
    signal?: AbortSignal,
  ): Promise<readonly { path: string; is_dir: boolean; file_size?: number }[]> {
    const query: Record<string, string> = { run_id: runId };
    if (path) query.path = path;
    const body = await this.get<{ files?: { path: string; is_dir: boolean; file_size?: number }[] }>(
      `${MLFLOW}/artifacts/list`,
      query,
      signal,
    );
    return body.files ?? [];
  }

  /**
   * One artifact's size and sha256 (from the manifest, as the download's X-Plumb-Sha256 header), and
   * its text when it is at most `maxBytes`: larger files are only asked for their headers (HEAD).
   */
  async artifactPreview(
    runId: string,
    path: string,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<{ size: number; sha256?: string; contentType: string; text?: string }> {
    const url = artifactHref(runId, path);
    const head = await this.fetcher(url, { method: 'HEAD', signal });
    if (!head.ok) throw new ApiError(head.status, 'HTTP_ERROR', `Could not read ${path} (${head.status}).`);
    const size = Number(head.headers.get('content-length') ?? 0);
    const sha256 = head.headers.get('x-plumb-sha256') ?? undefined;
    const contentType = head.headers.get('content-type') ?? 'application/octet-stream';
    if (size > maxBytes) return { size, sha256, contentType };
    const response = await this.fetcher(url, { method: 'GET', signal });
    if (!response.ok) throw new ApiError(response.status, 'HTTP_ERROR', `Could not read ${path} (${response.status}).`);
    return { size, sha256, contentType, text: await response.text() };
  }

  /** Registers a run's artifact folder as a new version of `name`, creating the model the first time. */
  async registerModel(name: string, runId: string, source: string): Promise<string> {
    try {
      await this.post('/registered-models/create', { name });
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'RESOURCE_ALREADY_EXISTS')) throw error;
    }
    const body = await this.post<{ model_version: ModelVersion }>('/model-versions/create', {
      name,
      source,
      run_id: runId,
    });
    return body.model_version.version;
  }

  /** The logged models a run produced (their `source_run_id`), newest first. */
  async runLoggedModels(experimentId: string, runId: string, signal?: AbortSignal): Promise<readonly LoggedModel[]> {
    const models: LoggedModel[] = [];
    let pageToken: string | undefined;
    do {
      const body = await this.post<{ models?: LoggedModel[]; next_page_token?: string }>(
        '/logged-models/search',
        {
          experiment_ids: [experimentId],
          filter: `source_run_id = '${runId.replace(/'/g, "\\'")}'`,
          max_results: 100,
          page_token: pageToken,
        },
        signal,
      );
      models.push(...(body.models ?? []));
      pageToken = body.next_page_token || undefined;
    } while (pageToken && models.length < 1000);
    return models;
  }

  async searchModels(
    options: { filter?: string; pageToken?: string },
    signal?: AbortSignal,
  ): Promise<Page<RegisteredModel>> {
    const query: Record<string, string> = { max_results: '100', order_by: 'name ASC' };
    if (options.filter) query.filter = options.filter;
    if (options.pageToken) query.page_token = options.pageToken;
    const body = await this.get<{ registered_models?: RegisteredModel[]; next_page_token?: string }>(
      `${MLFLOW}/registered-models/search`,
      query,
      signal,
    );
    return { items: body.registered_models ?? [], nextPageToken: body.next_page_token || undefined };
  }

  async getModel(name: string, signal?: AbortSignal): Promise<RegisteredModel> {
    const body = await this.get<{ registered_model: RegisteredModel }>(
      `${MLFLOW}/registered-models/get`,
      { name },
      signal,
    );
    return body.registered_model;
  }

  /** Every version of one model, newest first (pages followed to the end: a model has tens of versions, not millions). */
  async modelVersions(name: string, signal?: AbortSignal): Promise<readonly ModelVersion[]> {
    const versions: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const query: Record<string, string> = {
        filter: `name = '${name.replace(/'/g, "\\'")}'`,
        max_results: '200',
        order_by: 'version_number DESC',
      };
      if (pageToken) query.page_token = pageToken;
      const body = await this.get<{ model_versions?: ModelVersion[]; next_page_token?: string }>(
        `${MLFLOW}/model-versions/search`,
        query,
        signal,
      );
      versions.push(...(body.model_versions ?? []));
      pageToken = body.next_page_token || undefined;
    } while (pageToken);
    return versions;
  }

  /** A model with its revision (the ETag), which registry writes send back as If-Match. */
  async getModelAt(name: string, signal?: AbortSignal): Promise<{ model: RegisteredModel; revision: number }> {
    const { body, etag } = await this.exchange<{ registered_model: RegisteredModel }>(
      `${MLFLOW}/registered-models/get?${new URLSearchParams({ name }).toString()}`,
      { method: 'GET', signal },
    );
    return { model: body.registered_model, revision: revisionOf(etag) };
  }

  /** The MLmodel at `path` in a run's artifacts (a model directory or the file), parsed by the server. */
  async runMlModel(runId: string, path: string, signal?: AbortSignal): Promise<MlModelSummary> {
    return (await this.get<{ mlmodel: MlModelSummary }>(`${PLUMB}/runs/mlmodel`, { run_id: runId, path }, signal))
      .mlmodel;
  }

  /** A registered version's MLmodel, read where the version is stored and parsed by the server. */
  async versionMlModel(name: string, version: string, signal?: AbortSignal): Promise<MlModelSummary> {
    return (await this.get<{ mlmodel: MlModelSummary }>(`${PLUMB}/model-versions/mlmodel`, { name, version }, signal))
      .mlmodel;
  }

  async getModelVersion(name: string, version: string, signal?: AbortSignal): Promise<ModelVersion> {
    const body = await this.get<{ model_version: ModelVersion }>(
      `${MLFLOW}/model-versions/get`,
      { name, version },
      signal,
    );
    return body.model_version;
  }

  /** A model's whole event log, newest first (pages followed to the end; the server keeps it oldest first). */
  async modelEvents(name: string, signal?: AbortSignal): Promise<readonly RegistryEvent[]> {
    const events: RegistryEvent[] = [];
    let pageToken: string | undefined;
    do {
      const query: Record<string, string> = { name, max_results: '1000' };
      if (pageToken) query.page_token = pageToken;
      const body = await this.get<{ events?: RegistryEvent[]; next_page_token?: string }>(
        `${PLUMB}/registered-models/events`,
        query,
        signal,
      );
      events.push(...(body.events ?? []));
      pageToken = body.next_page_token || undefined;
    } while (pageToken);
    return events.reverse();
  }

  /**
   * One registry write made against the revision the caller displayed: the server refuses it with
   * 409 RESOURCE_CONFLICT when the model moved on, instead of overwriting what someone else did.
   * Answers the model's revision after the write.
   */
  async writeModel(write: RegistryWrite, expectedRevision: number): Promise<number> {
    const [method, path, body] = registryRequest(write);
    const { etag } = await this.exchange(`${MLFLOW}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', 'If-Match': `"${expectedRevision}"` },
      body: JSON.stringify(body),
    });
    return revisionOf(etag);
  }

  async storeStatus(signal?: AbortSignal): Promise<StoreStatus> {
    return this.get<StoreStatus>(`${PLUMB}/status`, {}, signal);
  }

  async nodes(signal?: AbortSignal): Promise<readonly NodeInfo[]> {
    const body = await this.get<{ nodes?: NodeInfo[] }>(`${PLUMB}/nodes`, {}, signal);
    return body.nodes ?? [];
  }

  private async get<T>(path: string, query: Record<string, string>, signal?: AbortSignal): Promise<T> {
    const search = new URLSearchParams(query).toString();
    return this.send<T>(search ? `${path}?${search}` : path, { method: 'GET', signal });
  }

  private async post<T = unknown>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.send<T>(`${MLFLOW}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  }

  private async send<T>(url: string, init: RequestInit): Promise<T> {
    return (await this.exchange<T>(url, init)).body;
  }

  private async exchange<T>(url: string, init: RequestInit): Promise<{ body: T; etag: string | null }> {
    const response = await this.fetcher(url, init);
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      if (!response.ok) throw new ApiError(response.status, 'HTTP_ERROR', text || response.statusText);
      throw new ApiError(response.status, 'BAD_RESPONSE', 'The server answered something that is not JSON.');
    }
    if (!response.ok) {
      const error = body as { error_code?: string; message?: string };
      throw new ApiError(response.status, error.error_code ?? 'HTTP_ERROR', error.message ?? response.statusText);
    }
    return { body: body as T, etag: response.headers.get('etag') };
  }
}

/** Where a run's artifact is served inline (active types as text). */
export function artifactHref(runId: string, path: string): string {
  return `/get-artifact?${new URLSearchParams({ run_uuid: runId, path }).toString()}`;
}

/** The registry writes the UI makes, each one MLflow RPC about one model. */
export type RegistryWrite =
  | { readonly kind: 'description'; readonly name: string; readonly description: string }
  | { readonly kind: 'set-tag'; readonly name: string; readonly key: string; readonly value: string }
  | { readonly kind: 'delete-tag'; readonly name: string; readonly key: string }
  | { readonly kind: 'set-alias'; readonly name: string; readonly alias: string; readonly version: string }
  | { readonly kind: 'delete-alias'; readonly name: string; readonly alias: string }
  | {
      readonly kind: 'stage';
      readonly name: string;
      readonly version: string;
      readonly stage: string;
      readonly archiveExistingVersions: boolean;
    };

function registryRequest(write: RegistryWrite): [method: string, path: string, body: Record<string, unknown>] {
  switch (write.kind) {
    case 'description':
      return ['PATCH', '/registered-models/update', { name: write.name, description: write.description }];
    case 'set-tag':
      return ['POST', '/registered-models/set-tag', { name: write.name, key: write.key, value: write.value }];
    case 'delete-tag':
      return ['DELETE', '/registered-models/delete-tag', { name: write.name, key: write.key }];
    case 'set-alias':
      return ['POST', '/registered-models/alias', { name: write.name, alias: write.alias, version: write.version }];
    case 'delete-alias':
      return ['DELETE', '/registered-models/alias', { name: write.name, alias: write.alias }];
    case 'stage':
      return [
        'POST',
        '/model-versions/transition-stage',
        {
          name: write.name,
          version: write.version,
          stage: write.stage,
          archive_existing_versions: write.archiveExistingVersions,
        },
      ];
  }
}

/** `"12"` (or `W/"12"`) → 12; a write that changed nothing still answers the current revision. */
function revisionOf(etag: string | null): number {
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(etag ?? '');
  if (!match) throw new ApiError(0, 'BAD_RESPONSE', 'The server did not send the model revision (ETag).');
  return Number(match[1]);
}

/** A registry write refused because the model changed since the page read it. */
export function isConflict(error: unknown): error is ApiError {
  return (
    error instanceof ApiError &&
    error.status === 409 &&
    (error.code === 'RESOURCE_CONFLICT' || error.code === 'ABORTED')
  );
}

export const api = new PlumbApi();
