/**
 * A database with a bit of everything (tracking, registry with aliases and events, a logged
 * model, an uploaded artifact with its manifest entry), and its capture through the API, for
 * backup/restore and export/import round trips.
 */
import { join } from 'node:path';
import { parseArtifactPath } from '../../src/core/artifact-path.ts';
import { loadConfig, type StoreConfig } from '../../src/config/config.ts';
import type { ManifestEntry } from '../../src/store/artifact-manifest-store.ts';
import { API, type Api, assertOk } from '../fixtures/builders.ts';
import {
  aModelVersion,
  aRegisteredModel,
  eventsOf,
  getModel,
  getVersion,
  transition,
} from '../fixtures/registry-builders.ts';
import { captureRuns, seedRuns } from './fixtures.ts';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

export interface World {
  readonly experimentIds: readonly string[];
  readonly runIds: readonly string[];
  readonly modelName: string;
  readonly loggedModelId: string;
  /** An uploaded artifact's path in the store. */
  readonly artifactPath: string;
}

/** `runs` ended runs (see seedRuns), a registered model with 3 versions, tags, an alias and stages, a logged model and an artifact. */
export async function seedWorld(api: Api, runs = 6): Promise<World> {
  const { experimentIds, runIds } = await seedRuns(api, runs);
  const runId = runIds[0]!;
  const experimentId = experimentIds[0]!;
  const modelName = await aRegisteredModel(api, `model-${runId.slice(0, 6)}`, {
    tags: [{ key: 'owner', value: 'team-a' }],
    description: 'the model',
  });
  for (let v = 1; v <= 3; v++) {
    await aModelVersion(api, modelName, { run_id: runIds[v - 1], tags: [{ key: 'v', value: String(v) }] });
  }
  await transition(api, modelName, 2, 'Production');
  assertOk(await api.post('registered-models/alias', { name: modelName, alias: 'champion', version: '2' }));
  assertOk(await api.post('model-versions/set-tag', { name: modelName, version: '3', key: 'late', value: 'yes' }));
  const created = await api.post('logged-models', {
    experiment_id: experimentId,
    name: 'lm',
    source_run_id: runIds[1],
    params: [{ key: 'depth', value: '3' }],
    tags: [{ key: 'kind', value: 'tree' }],
  });
  assertOk(created);
  const loggedModelId = (created.body as { model: { info: { model_id: string } } }).model.info.model_id;
  // An artifact of a running run (finished runs are immutable): upload, then end the run.
  const open = await api.post('runs/create', { experiment_id: experimentId, run_name: 'with-artifact' });
  assertOk(open);
  const withArtifact = open.body.run!.info.run_id;
  const artifactPath = `${experimentId}/${withArtifact}/artifacts/model/weights.bin`;
  assertOk(await api.raw({ method: 'PUT', url: `${PROXY}/${artifactPath}`, payload: Buffer.from('weights') }));
  assertOk(await api.post('runs/update', { run_id: withArtifact, status: 'FINISHED' }));
  await api.test.app.snapshots.flush();
  return { experimentIds, runIds: [...runIds, withArtifact], modelName, loggedModelId, artifactPath };
}

export interface WorldCapture {
  readonly experiments: unknown;
  readonly runs: unknown;
  readonly model: unknown;
  readonly versions: unknown;
  readonly alias: unknown;
  readonly events: unknown;
  readonly loggedModel: unknown;
  readonly manifest: readonly ManifestEntry[];
}

/** Everything `seedWorld` made, as the API (and, for the manifest, the port) shows it. */
export async function captureWorld(api: Api, world: World): Promise<WorldCapture> {
  const experiments = await api.post('experiments/search', { view_type: 'ALL', max_results: 1000 });
  assertOk(experiments);
  const alias = await api.get('registered-models/alias', { name: world.modelName, alias: 'champion' });
  assertOk(alias);
  const loggedModel = await api.raw({ method: 'GET', url: `${API}/logged-models/${world.loggedModelId}` });
  assertOk(loggedModel);
  return {
    experiments: experiments.body.experiments,
    runs: Object.fromEntries(await captureRuns(api, world.runIds)),
    model: await getModel(api, world.modelName),
    versions: await Promise.all([1, 2, 3].map((v) => getVersion(api, world.modelName, v))),
    alias: alias.body,
    events: await eventsOf(api, world.modelName),
    loggedModel: loggedModel.body,
    manifest: await api.test.app.store.artifactManifest.listUnder(parseArtifactPath(world.experimentIds[0]!)),
  };
}

/** The store configuration of a backend store URI, as the commands load it. */
export function storeConfigOf(uri: string, dir: string): StoreConfig {
  return loadConfig({}, { backendStoreUri: uri, artifactsDestination: join(dir, 'mlartifacts') }, dir).store;
}
