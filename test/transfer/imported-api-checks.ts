/**
 * What a client sees of an imported MLflow fixture, through Plumb's own HTTP API: every entity,
 * the landmarks of expected-counts.json, the awkward metric values, the registry and artifacts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expected, FIXTURE_ARTIFACTS, sha256File } from './mlflow-fixture.ts';

type Json = Record<string, unknown>;
interface WireTag {
  key: string;
  value: string;
}
interface WireMetric {
  key: string;
  value: number | string;
  step: number;
  timestamp: number;
}
interface WireRun {
  info: {
    run_id: string;
    experiment_id: string;
    status: string;
    lifecycle_stage: string;
    end_time?: number;
    run_name: string;
  };
  data: { metrics?: WireMetric[]; params?: WireTag[]; tags?: WireTag[] };
  inputs?: {
    dataset_inputs?: { dataset: { name: string }; tags?: WireTag[] }[];
    model_inputs?: { model_id: string }[];
  };
  outputs?: { model_outputs?: { model_id: string }[] };
}

const MAX = 1.7976931348623157e308;

export function apiClient(baseUrl: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${baseUrl}/api/2.0/mlflow/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };
  const ok = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const reply = await call(method, path, body);
    assert.equal(reply.status, 200, `${method} ${path}: ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  return {
    call,
    get: (path: string) => ok('GET', path),
    post: (path: string, body: unknown) => ok('POST', path, body),
  };
}

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
};
const tagOf = (tags: WireTag[] | undefined, key: string) => tags?.find((t) => t.key === key)?.value;

export async function checkExperimentsAndRuns(baseUrl: string): Promise<void> {
  const api = apiClient(baseUrl);
  const { experiments } = (await api.post('experiments/search', { max_results: 1000, view_type: 'ALL' })) as {
    experiments: {
      experiment_id: string;
      name: string;
      lifecycle_stage: string;
      artifact_location: string;
      tags?: WireTag[];
    }[];
  };
  const imported = expected.details.experiments.map((e) =>
    experiments.find((x) => x.experiment_id === String(e.experiment_id)),
  );
  assert.deepEqual(
    imported.map((e) => e && [e.name, e.lifecycle_stage, e.artifact_location]),
    expected.details.experiments.map((e) => [e.name, e.lifecycle_stage, e.artifact_location]),
  );
  assert.equal(
    imported.reduce((n, e) => n + (e?.tags?.length ?? 0), 0),
    expected.other_tables.experiment_tags,
  );

  const ids = expected.details.experiments.map((e) => String(e.experiment_id));
  const { runs } = (await api.post('runs/search', {
    experiment_ids: ids,
    run_view_type: 'ALL',
    max_results: 1000,
  })) as {
    runs: WireRun[];
  };
  assert.equal(runs.length, expected.counts.runs);
  assert.deepEqual(
    countBy(runs, (r) => r.info.status),
    expected.details.runs_by_status,
  );
  assert.deepEqual(
    countBy(runs, (r) => r.info.lifecycle_stage),
    expected.details.runs_by_lifecycle,
  );
  assert.deepEqual(
    countBy(runs, (r) => r.info.experiment_id),
    expected.details.runs_per_experiment,
  );
  assert.equal(runs.filter((r) => tagOf(r.data.tags, 'mlflow.parentRunId')).length, expected.details.runs_with_parent);
  assert.equal(runs.filter((r) => r.info.end_time === undefined).length, expected.details.runs_with_end_time_null);
  const sum = (pick: (r: WireRun) => unknown[] | undefined) => runs.reduce((n, r) => n + (pick(r)?.length ?? 0), 0);
  assert.equal(
    sum((r) => r.data.params),
    expected.counts.params,
  );
  assert.equal(
    sum((r) => r.data.tags),
    expected.counts.tags,
  );
  assert.equal(
    sum((r) => r.data.metrics),
    expected.counts.latest_metrics,
  );
  assert.equal(sum((r) => r.inputs?.dataset_inputs) + sum((r) => r.inputs?.model_inputs), 16);
  assert.equal(
    sum((r) => r.outputs?.model_outputs),
    11,
  );
  const params = runs.flatMap((r) => r.data.params ?? []);
  assert.equal(Math.max(...params.map((p) => p.value.length)), expected.details.param_value_max_len);
  assert.equal(Math.max(...params.map((p) => p.key.length)), expected.details.param_key_max_len);
  assert.equal(
    Math.max(...runs.flatMap((r) => (r.data.tags ?? []).map((t) => t.value.length))),
    expected.details.tag_value_max_len,
  );

  const manual = runs.find((r) => r.info.run_id === expected.run_ids_by_role.cls_manual_showcase)!;
  assert.deepEqual(manual.inputs?.dataset_inputs?.map((d) => d.dataset.name).sort(), ['fixture-eval', 'fixture-train']);
  const train = manual.inputs?.dataset_inputs?.find((d) => d.dataset.name === 'fixture-train');
  assert.equal(tagOf(train?.tags, 'mlflow.data.context'), 'training');
  assert.deepEqual(
    manual.inputs?.model_inputs?.map((m) => m.model_id),
    [expected.logged_model_ids_by_role.cls_manual],
  );
}

/** NaN, ±Infinity, latest-metric rules and the full histories of the metrics-showcase run. */
export async function checkMetrics(baseUrl: string): Promise<void> {
  const api = apiClient(baseUrl);
  const runId = expected.run_ids_by_role.cls_metrics_showcase;
  const { run } = (await api.get(`runs/get?run_id=${runId}`)) as { run: WireRun };
  const latest = new Map((run.data.metrics ?? []).map((m) => [m.key, m]));
  assert.equal(latest.get('nan_metric')?.value, 'NaN');
  assert.equal(latest.get('inf_metric')?.value, MAX);
  assert.equal(latest.get('neg_inf_metric')?.value, -MAX);
  assert.deepEqual([latest.get('loss')?.value, latest.get('loss')?.step], ['NaN', 250]);
  assert.deepEqual([latest.get('val_loss')?.value, latest.get('val_loss')?.step], [0.4, 20]);
  assert.equal(latest.get('dup_metric')?.value, 2);
  assert.equal(latest.get('warmup')?.step, -1);
  assert.equal(latest.get('tiny')?.value, 1e-300);
  assert.equal(latest.get('huge')?.value, 1.5e308);
  for (const history of expected.details.longest_metric_histories) {
    const { metrics } = (await api.get(
      `metrics/get-history?run_id=${history.run_uuid}&metric_key=${history.key}&max_results=10000`,
    )) as { metrics: WireMetric[] };
    assert.equal(metrics.length, history.points, history.key);
  }
  const { metrics: valLoss } = (await api.get(`metrics/get-history?run_id=${runId}&metric_key=val_loss`)) as {
    metrics: WireMetric[];
  };
  assert.equal(valLoss.length, 3);
}

export async function checkLoggedModels(baseUrl: string): Promise<void> {
  const api = apiClient(baseUrl);
  const ids = expected.details.experiments.map((e) => String(e.experiment_id));
  const { models } = (await api.post('logged-models/search', { experiment_ids: ids, max_results: 100 })) as {
    models: { info: { model_id: string; status: string } }[];
  };
  assert.equal(models.length, expected.counts.logged_models);
  const byStatus = countBy(models, (m) => m.info.status.replace('LOGGED_MODEL_', ''));
  assert.deepEqual(byStatus, expected.details.logged_models_by_status);
  const { model } = (await api.get(`logged-models/${expected.logged_model_ids_by_role.cls_autolog_logreg}`)) as {
    model: { info: { source_run_id: string; artifact_uri: string }; data: { params?: unknown[]; metrics?: unknown[] } };
  };
  assert.equal(model.info.source_run_id, expected.run_ids_by_role.cls_autolog_logreg);
  assert.match(model.info.artifact_uri, /^mlflow-artifacts:\/1\/models\/m-[0-9a-f]{32}\/artifacts$/);
  assert.equal(model.data.params?.length, 14);
  assert.equal(model.data.metrics?.length, 8);
}

export async function checkRegistry(baseUrl: string): Promise<void> {
  const api = apiClient(baseUrl);
  const { registered_models: models } = (await api.get('registered-models/search?max_results=100')) as {
    registered_models: { name: string }[];
  };
  assert.deepEqual(models.map((m) => m.name).sort(), Object.keys(expected.details.registered_models).sort());
  for (const [name, want] of Object.entries(expected.details.registered_models)) {
    const q = encodeURIComponent(name);
    const { registered_model: model } = (await api.get(`registered-models/get?name=${q}`)) as {
      registered_model: { description: string; tags?: WireTag[]; aliases?: { alias: string; version: string }[] };
    };
    assert.equal(model.description, want.description);
    assert.deepEqual(Object.fromEntries((model.tags ?? []).map((t) => [t.key, t.value])), want.tags);
    assert.deepEqual(Object.fromEntries((model.aliases ?? []).map((a) => [a.alias, Number(a.version)])), want.aliases);
    const filter = encodeURIComponent(`name='${name}'`);
    const { model_versions: versions } = (await api.get(`model-versions/search?filter=${filter}&max_results=100`)) as {
      model_versions: { version: string; current_stage: string }[];
    };
    const live = Object.entries(want.versions).filter(([, stage]) => stage !== 'Deleted_Internal');
    assert.deepEqual(
      Object.fromEntries(versions.map((v) => [v.version, v.current_stage])),
      Object.fromEntries(live),
      name,
    );
    for (const [alias, version] of Object.entries(want.aliases)) {
      const { model_version: mv } = (await api.get(`registered-models/alias?name=${q}&alias=${alias}`)) as {
        model_version: { version: string; source: string; run_id: string };
      };
      assert.equal(mv.version, String(version));
      assert.match(mv.source, /^models:\/m-[0-9a-f]{32}$/);
    }
  }
  const deleted = await api.call('GET', 'model-versions/get?name=fixture-classifier&version=4');
  assert.equal(deleted.status, 404, 'the soft-deleted version stays invisible');
}

/**
 * Writes after the import keep Plumb's invariants: a new experiment gets the next free id, and a
 * new version of the model whose v4 MLflow deleted is v5, never a reused number.
 */
export async function checkNewWrites(baseUrl: string): Promise<void> {
  const api = apiClient(baseUrl);
  const { experiment_id: id } = (await api.post('experiments/create', { name: 'created-after-import' })) as {
    experiment_id: string;
  };
  assert.equal(id, '4');
  const runId = expected.run_ids_by_role.cls_tree_depth2;
  const { model_version: mv } = (await api.post('model-versions/create', {
    name: 'fixture-classifier',
    source: `mlflow-artifacts:/1/${runId}/artifacts/model`,
    run_id: runId,
  })) as { model_version: { version: string } };
  assert.equal(mv.version, '5');
}

/** Listing and a verified download of an imported run's artifact, with the manifest's sha256. */
export async function checkArtifacts(baseUrl: string): Promise<void> {
  const api = apiClient(baseUrl);
  const runId = expected.run_ids_by_role.cls_manual_showcase;
  const { files } = (await api.get(`artifacts/list?run_id=${runId}&path=report/tables`)) as {
    files: { path: string; is_dir: boolean; file_size?: number }[];
  };
  assert.deepEqual(
    files.map((f) => [f.path, f.is_dir]),
    [
      ['report/tables/coef.json', false],
      ['report/tables/empty.txt', false],
    ],
  );
  for (const relative of ['notes/readme.txt', 'report/plots/deep/blob.bin', 'report/tables/empty.txt']) {
    const path = `1/${runId}/artifacts/${relative}`;
    const response = await fetch(`${baseUrl}/api/2.0/mlflow-artifacts/artifacts/${path}?verify=true`);
    assert.equal(response.status, 200, path);
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.ok(bytes.equals(readFileSync(join(FIXTURE_ARTIFACTS, path))), path);
    assert.equal(response.headers.get('x-plumb-sha256'), sha256File(join(FIXTURE_ARTIFACTS, path)));
  }
}

export async function checkEverythingThroughApi(baseUrl: string, options: { artifacts: boolean }): Promise<void> {
  await checkExperimentsAndRuns(baseUrl);
  await checkMetrics(baseUrl);
  await checkLoggedModels(baseUrl);
  await checkRegistry(baseUrl);
  if (options.artifacts) await checkArtifacts(baseUrl);
  await checkNewWrites(baseUrl);
}
