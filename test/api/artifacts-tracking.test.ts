/**
 * The tracking API's artifact routes: `artifacts/list` (paths relative to the run's root, as in
 * fixture 080), the UI's `get-artifact` (inline, active content defused) and `upload-artifact`
 * (≤ 10 MB), and their refusal to touch a run whose artifacts this server does not store.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AJAX, API, anExperiment, aRun, assertError, missingParameter, queryString } from '../fixtures/builders.ts';
import {
  aRunRoot,
  assertArtifactError,
  assertStatus,
  inject,
  sha256Hex,
  useArtifactApp,
} from '../helpers/artifact-client.ts';
import { rawRequest } from '../helpers/raw-http.ts';

const UNKNOWN_RUN = '0123456789abcdef0123456789abcdef';
const LIMIT = 10 * 1024 * 1024;

void describe('tracking API artifact routes', () => {
  const ctx = useArtifactApp({ listen: true });

  const listRun = (query: Record<string, string>, prefix = API) =>
    inject(ctx.api, { method: 'GET', url: `${prefix}/artifacts/list${queryString(query)}` });
  const getArtifact = (query: Record<string, string>, prefix = '') =>
    inject(ctx.api, { method: 'GET', url: `${prefix}/get-artifact${queryString(query)}` });
  const uploadArtifact = (query: Record<string, string>, body: Buffer | string, contentType = 'text/plain') =>
    inject(ctx.api, {
      method: 'POST',
      url: `${AJAX}/upload-artifact${queryString(query)}`,
      payload: body,
      headers: { 'content-type': contentType },
    });

  void describe('artifacts/list', () => {
    void it('lists paths relative to the run root with the run artifact URI as root_uri (fixture 080)', async () => {
      const run = await aRunRoot(ctx.api);
      assertStatus(await ctx.artifacts.put(`${run.root}/docs/hello.txt`, 'hello artifact\n'), 200);
      assertStatus(await ctx.artifacts.put(`${run.root}/model/MLmodel`, 'flavors: {}\n'), 200);
      const docs = await listRun({ run_id: run.runId, path: 'docs' });
      assertStatus(docs, 200);
      assert.deepEqual(docs.json, {
        root_uri: run.artifactUri,
        files: [{ path: 'docs/hello.txt', is_dir: false, file_size: 15 }],
      });
      const top = await listRun({ run_uuid: run.runId }, AJAX);
      assertStatus(top, 200);
      assert.equal(top.json.root_uri, run.artifactUri);
      assert.deepEqual(
        [...(top.json.files ?? [])].sort((a, b) => a.path.localeCompare(b.path)),
        [
          { path: 'docs', is_dir: true },
          { path: 'model', is_dir: true },
        ],
      );
    });

    void it('a run without artifacts, or a missing sub-directory, has only root_uri', async () => {
      const run = await aRunRoot(ctx.api);
      for (const query of [{ run_id: run.runId }, { run_id: run.runId, path: 'missing/dir' }] as Record<
        string,
        string
      >[]) {
        const reply = await listRun(query);
        assertStatus(reply, 200);
        assert.deepEqual(reply.json, { root_uri: run.artifactUri });
      }
    });

    void it('an unknown run is 404 RESOURCE_DOES_NOT_EXIST and a missing run_id is 400', async () => {
      assertArtifactError(await listRun({ run_id: UNKNOWN_RUN }), 404, 'RESOURCE_DOES_NOT_EXIST', /not found/);
      assertError(await ctx.api.get('artifacts/list', {}), 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_id'));
    });
  });

  void describe('runs whose artifacts live elsewhere', () => {
    /** A run in an experiment at `location`, with a secret planted where a naive server would read. */
    async function foreignRun(location: string, plantAt?: (runId: string) => string) {
      const experimentId = await anExperiment(ctx.api, undefined, { artifact_location: location });
      const run = await aRun(ctx.api, { experiment_id: experimentId });
      assert.equal(run.info.artifact_uri, `${location}/${run.info.run_id}/artifacts`);
      if (plantAt) {
        const dir = plantAt(run.info.run_id);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET-CONTENT');
      }
      return run.info.run_id;
    }

    void it('s3://elsewhere: list, get-artifact and upload-artifact are 400, and nothing is read or written', async () => {
      const runId = await foreignRun('s3://elsewhere/x');
      const message = /s3:\/\/elsewhere\/x\/[0-9a-f]{32}\/artifacts.*does not store/;
      assertArtifactError(await listRun({ run_id: runId }), 400, 'INVALID_PARAMETER_VALUE', message);
      assertArtifactError(await getArtifact({ run_id: runId, path: 'a.txt' }), 400, 'INVALID_PARAMETER_VALUE', message);
      assertArtifactError(
        await uploadArtifact({ run_uuid: runId, path: 'a.txt' }, 'x'),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      // No local stand-in was created for the foreign location either.
      assert.deepEqual(
        readdirSync(ctx.root).filter((name) => /s3|elsewhere/.test(name)),
        [],
      );
    });

    void it('a local directory outside the store (plain, file:, or ../ from the store root) is never read', async () => {
      const outside = join(ctx.dir, 'outside');
      const locations = [outside, `file://${outside}`, `${ctx.root}/../outside`, 'mlflow-artifacts:/../outside'];
      for (const location of locations) {
        const runId = await foreignRun(location, (id) => join(outside, id, 'artifacts'));
        const listed = await listRun({ run_id: runId });
        assertArtifactError(listed, 400, 'INVALID_PARAMETER_VALUE');
        assert.ok(!listed.text.includes('secret.txt'), `${location}: ${listed.text}`);
        const read = await getArtifact({ run_id: runId, path: 'secret.txt' });
        assertArtifactError(read, 400, 'INVALID_PARAMETER_VALUE');
        assert.ok(!read.text.includes('TOP-SECRET'), `${location}: ${read.text}`);
      }
    });
  });

  void describe('get-artifact', () => {
    void it('serves the file inline with nosniff and its digest, under both prefixes and both run id names', async () => {
      const run = await aRunRoot(ctx.api);
      assertStatus(await ctx.artifacts.put(`${run.root}/docs/hello.txt`, 'hello artifact\n'), 200);
      for (const [query, prefix] of [
        [{ run_id: run.runId, path: 'docs/hello.txt' }, ''],
        [{ run_uuid: run.runId, path: 'docs/hello.txt' }, '/ajax-api/2.0/mlflow'],
      ] as const) {
        const reply = await getArtifact(query, prefix);
        assertStatus(reply, 200);
        assert.equal(reply.text, 'hello artifact\n');
        assert.match(reply.header('content-type') ?? '', /^text\/plain/);
        assert.match(reply.header('content-disposition') ?? '', /^inline; filename="?hello\.txt"?$/);
        assert.equal(reply.header('x-content-type-options'), 'nosniff');
        assert.equal(reply.header('x-plumb-sha256'), sha256Hex('hello artifact\n'));
      }
    });

    void it('content a browser would render or run is served as text/plain', async () => {
      const run = await aRunRoot(ctx.api);
      const active = ['page.html', 'page.htm', 'page.xhtml', 'image.svg', 'app.js', 'module.mjs', 'feed.xml'];
      for (const name of active) {
        const body = '<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>';
        assertStatus(await ctx.artifacts.put(`${run.root}/${name}`, body), 200);
        const reply = await getArtifact({ run_id: run.runId, path: name });
        assertStatus(reply, 200);
        assert.equal(reply.text, body);
        assert.match(
          reply.header('content-type') ?? '',
          /^text\/plain/,
          `${name} served inline as ${reply.header('content-type')}`,
        );
      }
      assertStatus(await ctx.artifacts.put(`${run.root}/plot.png`, Buffer.from([0x89, 0x50])), 200);
      assert.equal((await getArtifact({ run_id: run.runId, path: 'plot.png' })).header('content-type'), 'image/png');
    });

    void it('a missing file is 404, a missing path or run_id is 400, an unknown run is 404', async () => {
      const run = await aRunRoot(ctx.api);
      assertArtifactError(await getArtifact({ run_id: run.runId, path: 'nope.txt' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      assertArtifactError(await getArtifact({ run_id: run.runId }), 400, 'INVALID_PARAMETER_VALUE', /path/);
      assertArtifactError(await getArtifact({ path: 'a.txt' }), 400, 'INVALID_PARAMETER_VALUE', /run_id/);
      assertArtifactError(await getArtifact({ run_id: UNKNOWN_RUN, path: 'a.txt' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    });
  });

  void describe('upload-artifact', () => {
    void it('stores the raw body under the run root, recorded in the manifest', async () => {
      const run = await aRunRoot(ctx.api);
      const body = '{"not": "parsed",   "kept": true}';
      const reply = await uploadArtifact({ run_uuid: run.runId, path: 'ui/notes.json' }, body, 'application/json');
      assertStatus(reply, 200);
      assert.deepEqual(reply.json, {});
      const download = await ctx.artifacts.get(`${run.root}/ui/notes.json`, '?verify=true');
      assertStatus(download, 200);
      assert.equal(download.text, body);
      assert.equal(download.header('x-plumb-sha256'), sha256Hex(body));
    });

    void it('takes exactly 10 MB and refuses one byte more with 400, storing nothing', async () => {
      const run = await aRunRoot(ctx.api);
      const atLimit = Buffer.alloc(LIMIT, 7);
      assertStatus(
        await uploadArtifact({ run_uuid: run.runId, path: 'max.bin' }, atLimit, 'application/octet-stream'),
        200,
      );
      const tooBig = await uploadArtifact(
        { run_uuid: run.runId, path: 'big.bin' },
        Buffer.alloc(LIMIT + 1, 7),
        'application/octet-stream',
      );
      assertArtifactError(tooBig, 400, 'INVALID_PARAMETER_VALUE', /too large|larger/i);
      assertArtifactError(await ctx.artifacts.get(`${run.root}/big.bin`), 404, 'RESOURCE_DOES_NOT_EXIST');
      assert.deepEqual(
        (await ctx.artifacts.children(run.root)).map((f) => f.path),
        ['max.bin'],
      );
    });

    void it('refuses more than 10 MB sent chunked, without a content-length, and stores nothing', async () => {
      const run = await aRunRoot(ctx.api);
      const target = `${AJAX}/upload-artifact?run_uuid=${run.runId}&path=chunked.bin`;
      const reply = await rawRequest(ctx.baseUrl, 'POST', target, {
        body: Buffer.alloc(LIMIT + 65_536, 1),
        chunked: true,
        timeoutMs: 20_000,
      });
      assert.equal(reply.status, 400, `got ${reply.status}: ${reply.text.slice(0, 300)}`);
      assertArtifactError(await ctx.artifacts.get(`${run.root}/chunked.bin`), 404, 'RESOURCE_DOES_NOT_EXIST');
      assert.deepEqual(await ctx.artifacts.children(run.root), []);
    });

    void it('an unknown run is 404; a missing path is 400', async () => {
      const run = await aRunRoot(ctx.api);
      assertArtifactError(
        await uploadArtifact({ run_uuid: UNKNOWN_RUN, path: 'a.txt' }, 'x'),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      assertArtifactError(await uploadArtifact({ run_uuid: run.runId }, 'x'), 400, 'INVALID_PARAMETER_VALUE', /path/);
    });
  });
});
