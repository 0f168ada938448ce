import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API, type Api, anExperiment, aRun, assertError, assertOk, uniqueName, useApi } from '../fixtures/builders.ts';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
const FILES = { MLmodel: 'artifact_path: model\nflavors: {}\n', 'data/model.pkl': 'pickled' } as const;

interface WireVersion {
  version: string;
  source: string;
  run_id?: string;
  model_id?: string;
}
const versionOf = (reply: { body: unknown }) => (reply.body as { model_version: WireVersion }).model_version;

/** A READY logged model whose files were uploaded through the proxy, as `log_model` does. */
async function aLoggedModelWithFiles(api: Api) {
  const experimentId = await anExperiment(api);
  const run = await aRun(api, { experiment_id: experimentId });
  const created = await api.post('logged-models', { experiment_id: experimentId, source_run_id: run.info.run_id });
  assertOk(created);
  const info = (created.body as { model: { info: { model_id: string; artifact_uri: string } } }).model.info;
  const root = info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
  for (const [path, body] of Object.entries(FILES)) {
    assertOk(await api.raw({ method: 'PUT', url: `${PROXY}/${root}/${path}`, payload: body }));
  }
  const ready = { status: 'LOGGED_MODEL_READY' };
  assertOk(await api.raw({ method: 'PATCH', url: `${API}/logged-models/${info.model_id}`, payload: ready }));
  return { modelId: info.model_id, artifactUri: info.artifact_uri, runId: run.info.run_id };
}

/** What HttpArtifactRepository.download_artifacts does with a `mlflow-artifacts:` URI: list recursively, then GET each file. */
async function downloadAll(api: Api, uri: string): Promise<Record<string, string>> {
  const root = uri.replace(/^mlflow-artifacts:\//, '');
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    const listing = await api.raw({ method: 'GET', url: `${PROXY}?path=${encodeURIComponent(`${root}${dir}`)}` });
    assertOk(listing);
    const files = (listing.body as { files?: { path: string; is_dir: boolean }[] }).files ?? [];
    for (const f of files) {
      const rel = `${dir}/${f.path}`;
      if (f.is_dir) await walk(rel);
      else {
        const got = await api.raw({ method: 'GET', url: `${PROXY}/${root}${rel}` });
        assertOk(got);
        out[rel.slice(1)] = got.text;
      }
    }
  };
  await walk('');
  return out;
}

void describe('model versions linked to logged models, and models:/ URIs resolved as the client does', () => {
  const ctx = useApi();

  void it('a version created from models:/<model id> is stored at the logged model location, with its run', async () => {
    const model = await aLoggedModelWithFiles(ctx.api);
    const name = uniqueName('reg');
    assertOk(await ctx.api.post('registered-models/create', { name }));
    const created = await ctx.api.post('model-versions/create', {
      name,
      source: `models:/${model.modelId}`,
      model_id: model.modelId,
    });
    assertOk(created);
    const mv = versionOf(created);
    assert.equal(mv.source, `models:/${model.modelId}`);
    assert.equal(mv.model_id, model.modelId);
    assert.equal(mv.run_id, model.runId);
    const uri = await ctx.api.get('model-versions/get-download-uri', { name, version: mv.version });
    assertOk(uri);
    assert.equal((uri.body as { artifact_uri?: string }).artifact_uri, model.artifactUri);
  });

  void it('accepts the model location itself with a model_id, and refuses unknown logged models', async () => {
    const model = await aLoggedModelWithFiles(ctx.api);
    const name = uniqueName('reg');
    assertOk(await ctx.api.post('registered-models/create', { name }));
    const direct = await ctx.api.post('model-versions/create', {
      name,
      source: model.artifactUri,
      model_id: model.modelId,
    });
    assertOk(direct);
    assert.equal(versionOf(direct).model_id, model.modelId);
    const unknown = 'm-0123456789abcdef0123456789abcdef';
    assertError(
      await ctx.api.post('model-versions/create', { name, source: `models:/${unknown}`, model_id: unknown }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    assertError(
      await ctx.api.post('model-versions/create', { name, source: `models:/${unknown}` }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    assertError(
      await ctx.api.post('model-versions/create', { name, source: '/etc/passwd', model_id: model.modelId }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });

  void it('every models:/ form resolves to the files: name/version, name@alias, name/stage, name/latest, model id', async () => {
    const model = await aLoggedModelWithFiles(ctx.api);
    const name = uniqueName('reg');
    assertOk(await ctx.api.post('registered-models/create', { name }));
    for (let i = 0; i < 2; i += 1) {
      const body = { name, source: `models:/${model.modelId}`, model_id: model.modelId };
      assertOk(await ctx.api.post('model-versions/create', body));
    }
    assertOk(await ctx.api.post('registered-models/alias', { name, alias: 'champ', version: '1' }));
    const stage = { name, version: '1', stage: 'Production', archive_existing_versions: false };
    assertOk(await ctx.api.post('model-versions/transition-stage', stage));

    const downloadUri = async (version: string) => {
      const reply = await ctx.api.get('model-versions/get-download-uri', { name, version });
      assertOk(reply);
      return (reply.body as { artifact_uri: string }).artifact_uri;
    };
    const latest = async (stages?: string[]) => {
      const reply = await ctx.api.post('registered-models/get-latest-versions', {
        name,
        ...(stages ? { stages } : {}),
      });
      assertOk(reply);
      const versions = (reply.body as { model_versions?: WireVersion[] }).model_versions ?? [];
      return String(Math.max(...versions.map((v) => Number(v.version))));
    };
    const alias = await ctx.api.get('registered-models/alias', { name, alias: 'champ' });
    assertOk(alias);
    const logged = await ctx.api.get(`logged-models/${model.modelId}`);
    assertOk(logged);

    const uris = {
      [`models:/${name}/2`]: await downloadUri('2'),
      [`models:/${name}@champ`]: await downloadUri(versionOf(alias).version),
      [`models:/${name}/Production`]: await downloadUri(await latest(['Production'])),
      [`models:/${name}/latest`]: await downloadUri(await latest()),
      [`models:/${model.modelId}`]: (logged.body as { model: { info: { artifact_uri: string } } }).model.info
        .artifact_uri,
    };
    assert.equal(await latest(['Production']), '1');
    assert.equal(await latest(), '2');
    for (const [form, uri] of Object.entries(uris)) {
      assert.equal(uri, model.artifactUri, form);
      assert.deepEqual(await downloadAll(ctx.api, uri), FILES, form);
    }
  });
});
