/**
 * Seeds and captures tracking data through the API for the maintenance tests: what goes in
 * through the API must come out of a restore, an import or a reconcile identical, via the API.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ArtifactRepository } from '../../src/artifacts/artifact-repository.ts';
import { createArtifactRepository } from '../../src/app.ts';
import {
  type Api,
  aMetric,
  anExperiment,
  assertOk,
  getRun,
  history,
  logBatch,
  T0,
  uniqueName,
  type WireMetric,
  type WireRun,
} from '../fixtures/builders.ts';
import type { TestApp } from '../helpers/test-server.ts';

/** The test app's artifact store (a local folder in its temp dir), as the maintenance commands open it. */
export function localArtifacts(test: TestApp): Promise<ArtifactRepository> {
  const path = join(test.dir, 'mlartifacts');
  return createArtifactRepository({ kind: 'local', uri: path, path });
}

export interface SeededRuns {
  readonly experimentIds: readonly string[];
  readonly runIds: readonly string[];
}

/**
 * `count` ended runs spread over `experiments` new experiments, each with params, tags, a metric
 * history (NaN and ±Infinity included), and a dataset input on every third run.
 */
export async function seedRuns(api: Api, count: number, experiments = 2): Promise<SeededRuns> {
  const experimentIds: string[] = [];
  for (let e = 0; e < experiments; e++) {
    experimentIds.push(await anExperiment(api, uniqueName('seeded'), { tags: [{ key: 'team', value: `t${e}` }] }));
  }
  const runIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await api.post('runs/create', {
      experiment_id: experimentIds[i % experiments],
      run_name: `run-${i}`,
      start_time: T0 + i,
      tags: [{ key: 'seed', value: String(i) }],
    });
    assertOk(created);
    const runId = created.body.run!.info.run_id;
    runIds.push(runId);
    const metrics: WireMetric[] = [
      aMetric('loss', 1 / (i + 1), 0),
      aMetric('loss', 0.5 / (i + 1), 1),
      aMetric('loss', i % 5 === 0 ? 'NaN' : 0.25, 2),
      aMetric('acc', i % 7 === 0 ? 'Infinity' : 0.5, 0),
      aMetric('acc', i % 7 === 0 ? '-Infinity' : 0.75, 1),
      aMetric('zeta', i, 0),
    ];
    await logBatch(api, runId, {
      metrics,
      params: [
        { key: 'lr', value: String(0.01 * (i + 1)) },
        { key: 'batch', value: '32' },
      ],
      tags: [{ key: 'owner', value: `user-${i % 3}` }],
    });
    if (i % 3 === 0) {
      assertOk(
        await api.post('runs/log-inputs', {
          run_id: runId,
          datasets: [
            {
              tags: [{ key: 'mlflow.data.context', value: 'training' }],
              dataset: { name: `ds-${i % 2}`, digest: `d${i % 2}`, source_type: 'local', source: '{"uri":"x"}' },
            },
          ],
        }),
      );
    }
    assertOk(await api.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + 10_000 + i }));
  }
  await api.test.app.snapshots.flush();
  return { experimentIds, runIds };
}

export interface CapturedRun {
  readonly run: WireRun;
  readonly history: Readonly<Record<string, readonly WireMetric[]>>;
}

/** Each run as runs/get shows it, with the full history of each of its metric keys. */
export async function captureRuns(api: Api, runIds: readonly string[]): Promise<Map<string, CapturedRun>> {
  const captured = new Map<string, CapturedRun>();
  for (const runId of runIds) {
    const run = await getRun(api, runId);
    const keys = (run.data.metrics ?? []).map((m) => m.key);
    const histories: Record<string, WireMetric[]> = {};
    for (const key of keys) histories[key] = await history(api, runId, key);
    captured.set(runId, { run, history: histories });
  }
  return captured;
}

export function assertSameRuns(actual: Map<string, CapturedRun>, expected: Map<string, CapturedRun>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [runId, want] of expected) assert.deepEqual(actual.get(runId), want, `run ${runId} differs`);
}

/** Every run of the experiments (all lifecycle stages), through runs/search. */
export async function searchRunIds(api: Api, experimentIds: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  let pageToken: string | undefined;
  do {
    const reply = await api.post('runs/search', {
      experiment_ids: experimentIds,
      run_view_type: 'ALL',
      max_results: 1000,
      ...(pageToken ? { page_token: pageToken } : {}),
    });
    assertOk(reply);
    ids.push(...(reply.body.runs ?? []).map((r) => r.info.run_id));
    pageToken = reply.body.next_page_token;
  } while (pageToken);
  return ids;
}
