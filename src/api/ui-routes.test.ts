import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from '../../test/helpers/raw-http.ts';
import { startTestServer } from '../../test/helpers/test-server.ts';
import { UI_NOT_BUILT_MESSAGE } from './ui-routes.ts';

const INDEX = '<!doctype html><title>Plumb</title><script type="module" src="/assets/index-abc123.js"></script>';
const HTML = { Accept: 'text/html,application/xhtml+xml' };

void describe('web UI routes', () => {
  let base: string;
  let server: { baseUrl: string; close(): Promise<void> };
  let outside: string;

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'plumb-ui-'));
    const ui = join(base, 'ui');
    mkdirSync(join(ui, 'assets'), { recursive: true });
    writeFileSync(join(ui, 'index.html'), INDEX);
    writeFileSync(join(ui, 'assets', 'index-abc123.js'), 'console.log("plumb")');
    writeFileSync(join(ui, 'assets', 'index-abc123.css'), 'body{}');
    writeFileSync(join(ui, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    // A sibling of the UI directory whose name starts the same: a prefix check without the separator would leak it.
    mkdirSync(join(base, 'ui-secret'));
    outside = 'top secret';
    writeFileSync(join(base, 'ui-secret', 'key.txt'), outside);
    writeFileSync(join(base, 'secret.txt'), outside);
    server = await startTestServer({ env: { PLUMB_UI_DIR: ui } });
  });
  after(async () => {
    await server.close();
    rmSync(base, { recursive: true, force: true });
  });

  void it('serves index.html at / with no-cache and the security headers', async () => {
    const response = await fetch(`${server.baseUrl}/`, { headers: HTML });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), INDEX);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  });

  void it('serves hashed assets with their content type and a long immutable cache', async () => {
    const js = await fetch(`${server.baseUrl}/assets/index-abc123.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^(text|application)\/javascript/);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(await js.text(), 'console.log("plumb")');
    const css = await fetch(`${server.baseUrl}/assets/index-abc123.css`);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    const svg = await fetch(`${server.baseUrl}/favicon.svg`);
    assert.match(svg.headers.get('content-type') ?? '', /^image\/svg\+xml/);
    assert.equal(svg.headers.get('cache-control'), 'no-cache');
  });

  void it('answers index.html for an unknown page that accepts HTML (client-side routes)', async () => {
    const response = await fetch(`${server.baseUrl}/experiments/12/runs?filter=x`, { headers: HTML });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(await response.text(), INDEX);
  });

  void it('answers 404, not HTML, for a missing hashed asset or a non-HTML request', async () => {
    const asset = await fetch(`${server.baseUrl}/assets/index-old999.js`, { headers: HTML });
    assert.equal(asset.status, 404);
    const json = await fetch(`${server.baseUrl}/no/such/thing`, { headers: { Accept: 'application/json' } });
    assert.equal(json.status, 404);
    assert.equal(((await json.json()) as { error_code: string }).error_code, 'ENDPOINT_NOT_FOUND');
  });

  void it('keeps API routes first and MLflow JSON errors for unknown API paths', async () => {
    const list = await fetch(`${server.baseUrl}/ajax-api/2.0/mlflow/experiments/search?max_results=10`, {
      headers: HTML,
    });
    assert.equal(list.status, 200);
    assert.ok(Array.isArray(((await list.json()) as { experiments: unknown[] }).experiments));
    for (const path of ['/api/2.0/mlflow/nope', '/ajax-api/2.0/mlflow/nope', '/api/2.0/plumb/nope']) {
      const response = await fetch(`${server.baseUrl}${path}`, { headers: HTML });
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/, path);
      assert.equal(((await response.json()) as { error_code: string }).error_code, 'ENDPOINT_NOT_FOUND', path);
    }
    // A GET of a POST-only RPC stays 405 with Allow, as before the wildcard route existed.
    const wrongMethod = await fetch(`${server.baseUrl}/api/2.0/mlflow/runs/create`, { headers: HTML });
    assert.equal(wrongMethod.status, 405);
    assert.match(wrongMethod.headers.get('allow') ?? '', /POST/);
    const health = await fetch(`${server.baseUrl}/health`, { headers: HTML });
    assert.equal(await health.text(), 'OK');
  });

  void it('never serves a file outside the UI directory, however the path is spelled', async () => {
    const targets = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/%2e%2e/secret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets\\..\\..\\secret.txt',
      '/%5c..%5c..%5csecret.txt',
      '/../ui-secret/key.txt',
      '/%2e%2e/ui-secret/key.txt',
      '/secret.txt%00.js',
      '/%zz',
    ];
    for (const target of targets) {
      const response = await rawRequest(server.baseUrl, 'GET', target, { headers: HTML });
      assert.ok(response.status === 400 || response.status === 404, `${target}: status ${response.status}`);
      assert.ok(!response.text.includes(outside), `${target} leaked a file outside the UI directory`);
    }
  });
});

void describe('web UI routes without a built UI', () => {
  let base: string;
  let server: { baseUrl: string; close(): Promise<void> };
  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'plumb-ui-missing-'));
    server = await startTestServer({ env: { PLUMB_UI_DIR: join(base, 'not-built') } });
  });
  after(async () => {
    await server.close();
    rmSync(base, { recursive: true, force: true });
  });

  void it('answers / with a plain-text message saying to run npm run build, never a 500', async () => {
    for (const accept of ['text/html', '*/*']) {
      const response = await fetch(`${server.baseUrl}/`, { headers: { Accept: accept } });
      assert.equal(response.status, 404);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await response.text();
      assert.equal(text, UI_NOT_BUILT_MESSAGE);
      assert.match(text, /npm run build/);
    }
    const page = await fetch(`${server.baseUrl}/experiments`, { headers: { Accept: 'text/html' } });
    assert.equal(page.status, 404);
    assert.match(await page.text(), /npm run build/);
    const api = await fetch(`${server.baseUrl}/api/2.0/mlflow/experiments/search?max_results=1`);
    assert.equal(api.status, 200);
  });
});
