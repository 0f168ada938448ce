/**
 * The UI's other pages in Chromium against a real `plumb server` seeded over the API: compare,
 * artifacts, model registry and health. Each step saves a screenshot under test-output/ui/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServerProcess } from '../helpers/plumb-process.ts';
import { type Browser, launchBrowser, mlflow, startUiServer, UI_DIR, type UiServer } from '../helpers/ui-browser.ts';

interface WireRun {
  info: { run_id: string; artifact_uri: string };
}

void describe('web UI pages in Chromium', { timeout: 300_000 }, () => {
  let ui: UiServer;
  let browser: Browser;
  let base: string;
  let experimentId: string;
  const runs: WireRun[] = [];

  before(async () => {
    ui = await startUiServer();
    base = ui.server.baseUrl;
    ({ experiment_id: experimentId } = await mlflow<{ experiment_id: string }>(base, 'experiments/create', {
      name: 'pages',
    }));
    for (const [i, depth] of ['3', '5'].entries()) {
      const { run } = await mlflow<{ run: WireRun }>(base, 'runs/create', {
        experiment_id: experimentId,
        run_name: `depth-${depth}`,
        start_time: 1_700_000_000_000 + i * 1000,
      });
      runs.push(run);
      const metrics = Array.from({ length: 50 }, (_, step) => ({
        key: 'auc',
        value: (step + 1) / (50 + i * 10),
        timestamp: 1_700_000_000_000 + step * 1000,
        step,
      }));
      await mlflow(base, 'runs/log-batch', {
        run_id: run.info.run_id,
        params: [{ key: 'depth', value: depth }],
        metrics,
      });
    }
    // One artifact through the proxy, as MLflow's client uploads it.
    const path = runs[0]!.info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
    const upload = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${path}/notes/readme.txt`, {
      method: 'PUT',
      body: 'hello from the artifact store',
    });
    assert.equal(upload.status, 200, await upload.text());
    await mlflow(base, 'registered-models/create', { name: 'classifier', description: 'Finds cats.' });
    for (const run of runs) {
      await mlflow(base, 'model-versions/create', {
        name: 'classifier',
        source: `${run.info.artifact_uri}/model`,
        run_id: run.info.run_id,
      });
    }
    await mlflow(base, 'registered-models/alias', { name: 'classifier', alias: 'champion', version: '2' });
    await mlflow(base, 'registered-models/create', { name: 'regressor' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await ui?.close();
  });

  void it('compares two runs selected in the table: both charted, differing params marked', async () => {
    const { page } = browser;
    await page.goto(`${base}/runs?experiments=${experimentId}`);
    await page.getByRole('checkbox', { name: 'Select depth-3' }).check();
    await page.getByRole('checkbox', { name: 'Select depth-5' }).check();
    await page.getByRole('button', { name: 'Compare (2)' }).click();
    await page.getByRole('heading', { name: 'Compare 2 runs' }).waitFor();
    await page.locator('.chart[data-metric="auc"][data-state="ok"]').waitFor();
    const chart = page.getByTestId('metric-chart');
    assert.equal(await chart.getAttribute('data-series'), '2');
    assert.equal(await chart.getAttribute('data-points'), '100');
    const depthRow = page.getByRole('row').filter({ hasText: 'params.depth' });
    assert.match((await depthRow.getAttribute('class')) ?? '', /drift/);
    await browser.screenshot('20-compare');
  });

  void it('lists a run artifact, previews it and serves it from the raw link', async () => {
    const { page } = browser;
    await page.goto(`${base}/runs/${runs[0]!.info.run_id}?tab=artifacts`);
    await page.getByRole('button', { name: 'notes/' }).click();
    await page.getByRole('button', { name: 'readme.txt' }).click();
    const preview = page.getByRole('region', { name: 'Preview of notes/readme.txt' });
    await preview.getByText('hello from the artifact store').waitFor();
    const link = preview.getByRole('link', { name: 'Open raw' });
    await browser.screenshot('21-artifacts');
    const href = await link.getAttribute('href');
    assert.ok(href);
    const response = await fetch(new URL(href, base));
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'hello from the artifact store');
  });

  void it('shows registered models, searches them, and a model with its versions and alias', async () => {
    const { page } = browser;
    await page.goto(`${base}/`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models' }).click();
    await page.getByRole('link', { name: 'classifier' }).waitFor();
    await page.getByRole('link', { name: 'regressor' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search models by name' }).fill('class');
    await page.getByRole('link', { name: 'regressor' }).waitFor({ state: 'detached' });
    await browser.screenshot('22-models');
    await page.getByRole('link', { name: 'classifier' }).click();
    await page.getByRole('heading', { name: 'classifier' }).waitFor();
    await page.getByText('Finds cats.', { exact: true }).waitFor();
    const versions = page.getByRole('table', { name: 'Model versions' });
    await versions.getByRole('cell', { name: 'v2' }).waitFor();
    const rows = versions.getByRole('row');
    assert.equal(await rows.count(), 3);
    // Newest first, and the alias beside its version.
    assert.match((await rows.nth(1).textContent()) ?? '', /v2@champion/);
    await browser.screenshot('23-model');
    await rows.nth(2).getByRole('link', { name: /^run / }).click();
    await page.getByRole('heading', { name: 'depth-3' }).waitFor();
  });

  void it('shows this server as a live node on the health page', async () => {
    const { page } = browser;
    await page.goto(`${base}/cluster`);
    const table = page.getByRole('table', { name: 'Live nodes' });
    await table.getByRole('cell', { name: `127.0.0.1:${ui.server.port}` }).waitFor();
    assert.equal(await table.locator('tbody tr').count(), 1);
    // The stores this node reaches, probed now: SQLite at the current schema, the local artifact folder.
    const stores = page.getByRole('table', { name: 'Stores' });
    await stores
      .getByRole('cell', { name: /^reachable \(\d+ ms\)$/ })
      .first()
      .waitFor();
    const database = (await stores.getByRole('row').filter({ hasText: 'Database' }).textContent()) ?? '';
    assert.match(database, /sqlitereachable \(\d+ ms\)schema \d+$/);
    await browser.screenshot('24-health');
  });

  void it('highlights a second server on the same database started with another artifact destination', async () => {
    // Its own working directory puts its artifacts elsewhere: a different configuration fingerprint.
    const otherDir = mkdtempSync(join(tmpdir(), 'plumb-ui-drift-'));
    const other = await startServerProcess({ dbPath: ui.dbPath, dir: otherDir, env: { PLUMB_UI_DIR: UI_DIR } });
    try {
      const { page } = browser;
      await page.goto(`${base}/cluster`);
      const table = page.getByRole('table', { name: 'Live nodes' });
      const odd = table.getByRole('row').filter({ hasText: `127.0.0.1:${other.port}` });
      const first = table.getByRole('row').filter({ hasText: `127.0.0.1:${ui.server.port}` });
      await odd.waitFor();
      await first.waitFor();
      // The older node is the reference on a tie, so the newcomer is the one drifting.
      assert.match((await odd.getAttribute('class')) ?? '', /drift/);
      assert.equal(await first.getAttribute('class'), null);
      const details = (await odd.textContent()) ?? '';
      assert.ok(details.includes(`artifactsDestination`), details);
      assert.ok(details.includes(join(otherDir, 'mlartifacts')), details);
      assert.ok(details.includes(join(ui.dir, 'mlartifacts')), details);
      const banner = page.getByRole('alert', { name: 'Configuration drift' });
      assert.match((await banner.textContent()) ?? '', /1 of 2 nodes .*\(artifactsDestination\)/);
      await browser.screenshot('25-health-drift');
    } finally {
      await other.kill('SIGTERM');
      rmSync(otherDir, { recursive: true, force: true });
    }
    assert.deepEqual(browser.errors, [], 'no console errors');
  });
});
