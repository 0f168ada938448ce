/**
 * Issue #7's whole flow in Chromium against a real `plumb server`: an experiment made in the UI,
 * runs logged to it over the API as a client would, then filter → run → chart → compare →
 * artifacts previewed → the model folder registered → an alias set → seen in the promotion history.
 * And the registry's optimistic concurrency: a change made behind the page's back is reported as a
 * conflict, never overwritten. Each step saves a screenshot under test-output/ui/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Locator } from 'playwright-core';
import { type Browser, launchBrowser, mlflow, startUiServer, type UiServer } from '../helpers/ui-browser.ts';

interface WireRun {
  info: { run_id: string; artifact_uri: string };
}

const MLMODEL =
  'artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\n';

const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

async function upload(base: string, run: WireRun, path: string, body: string | Buffer): Promise<void> {
  const root = run.info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
  const response = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`, { method: 'PUT', body });
  assert.equal(response.status, 200, await response.text());
}

void describe('issue #7 flow in Chromium', { timeout: 300_000 }, () => {
  let ui: UiServer;
  let browser: Browser;
  let base: string;
  const runs: WireRun[] = [];

  before(async () => {
    ui = await startUiServer();
    base = ui.server.baseUrl;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await ui?.close();
  });

  void it('experiment → runs → filter → run → chart → compare → artifact preview → register → alias → history', async () => {
    const { page } = browser;
    await page.goto(`${base}/experiments`);
    await page.getByRole('textbox', { name: 'New experiment name' }).fill('issue-7');
    await page.getByRole('button', { name: 'Create experiment' }).click();
    await page.getByRole('link', { name: 'issue-7' }).click();
    await page.getByText(/No runs/).waitFor();
    const experimentId = new URL(page.url()).searchParams.get('experiments')!;
    await browser.screenshot('50-flow-experiment-created');

    for (const [i, depth] of ['4', '8'].entries()) {
      const { run } = await mlflow<{ run: WireRun }>(base, 'runs/create', {
        experiment_id: experimentId,
        run_name: `depth-${depth}`,
        start_time: 1_700_000_000_000 + i * 1000,
      });
      runs.push(run);
      const metrics = Array.from({ length: 40 }, (_, step) => ({
        key: 'loss',
        value: 1 / (step + 1 + i),
        timestamp: 1_700_000_000_000 + step * 1000,
        step,
      }));
      await mlflow(base, 'runs/log-batch', {
        run_id: run.info.run_id,
        params: [{ key: 'depth', value: depth }],
        metrics,
      });
    }
    const first = runs[0]!;
    await upload(base, first, 'eval/metrics.json', '{"auc":0.93,"f1":0.88}');
    await upload(base, first, 'eval/scores.csv', 'fold,auc\n1,0.91\n2,0.95\n');
    await upload(base, first, 'model/MLmodel', MLMODEL);
    await upload(base, first, 'model/model.pkl', 'pickled bytes');
    await upload(base, first, 'eval/roc.png', Buffer.from(PNG_1X1, 'base64'));
    await mlflow(base, 'logged-models', {
      experiment_id: experimentId,
      name: 'depth-net',
      model_type: 'sklearn',
      source_run_id: first.info.run_id,
    });

    // The runs logged meanwhile appear on reload.
    await page.reload();
    const grid = page.getByRole('grid', { name: 'Runs' });
    await grid.getByRole('link', { name: 'depth-4' }).waitFor();
    await grid.getByRole('link', { name: 'depth-8' }).waitFor();
    await browser.screenshot('51-flow-runs');

    const filter = page.getByRole('searchbox', { name: 'Filter runs' });
    await filter.fill("params.depth = '4'");
    await filter.press('Enter');
    await grid.getByRole('link', { name: 'depth-8' }).waitFor({ state: 'detached' });
    await browser.screenshot('52-flow-filtered');

    await grid.getByRole('link', { name: 'depth-4' }).click();
    await page.getByRole('heading', { name: 'depth-4' }).waitFor();
    await page.getByRole('table', { name: 'Logged models' }).getByRole('cell', { name: 'depth-net' }).waitFor();
    // The tabs by keyboard: the selected tab takes the focus, an arrow key moves to the next.
    await page.getByRole('tab', { name: 'Overview' }).focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: 'Metrics' }).getAttribute('aria-selected'), 'true');
    await page.getByRole('combobox', { name: 'Metric' }).selectOption('loss');
    await page.locator('.chart[data-metric="loss"][data-state="ok"]').waitFor();
    assert.equal(await page.getByTestId('metric-chart').getAttribute('data-points'), '40');
    await browser.screenshot('53-flow-chart');

    await page.goto(`${base}/runs?experiments=${experimentId}`);
    await page.getByRole('checkbox', { name: 'Select depth-4' }).check();
    await page.getByRole('checkbox', { name: 'Select depth-8' }).check();
    await page.getByRole('button', { name: 'Compare (2)' }).click();
    await page.locator('.chart[data-metric="loss"][data-state="ok"]').waitFor();
    assert.equal(await page.getByTestId('metric-chart').getAttribute('data-series'), '2');
    // params.depth against metrics.loss: a point per run.
    assert.equal(await page.getByRole('combobox', { name: 'Scatter x' }).inputValue(), 'param:depth');
    assert.equal(await page.getByTestId('scatter-chart').getAttribute('data-points'), '2');
    await browser.screenshot('54-flow-compare');

    await page.goto(`${base}/runs/${first.info.run_id}?tab=artifacts`);
    await page.getByRole('button', { name: 'eval/' }).click();
    await page.getByRole('button', { name: 'metrics.json' }).click();
    const preview = page.getByRole('region', { name: 'Preview of eval/metrics.json' });
    await preview.getByText('"auc": 0.93').waitFor();
    const sha = (await preview.getByTestId('artifact-sha256').textContent()) ?? '';
    assert.match(sha, /^sha256 [0-9a-f]{64}$/, 'the manifest digest is shown');
    await page.getByRole('button', { name: 'scores.csv' }).click();
    const table = page.getByRole('table', { name: 'Table eval/scores.csv' });
    await table.getByRole('cell', { name: '0.95' }).waitFor();
    await page.getByRole('button', { name: 'roc.png' }).click();
    const image = page.getByRole('img', { name: 'eval/roc.png' });
    await image.waitFor();
    assert.equal(await loadedWidth(image), 1, 'the image loads under the CSP');
    await browser.screenshot('55-flow-artifact-preview');

    await page.getByRole('button', { name: 'Up' }).click();
    await page.getByRole('button', { name: 'model/' }).click();
    await page.getByRole('button', { name: 'MLmodel' }).click();
    assert.equal(await page.getByTestId('mlmodel-flavors').textContent(), 'python_function, sklearn');
    await page.getByRole('textbox', { name: 'Model name' }).fill('depth-model');
    await page.getByRole('button', { name: 'Register model' }).click();
    await page.getByRole('heading', { name: 'depth-model v1' }).waitFor();
    await page.getByRole('link', { name: first.info.run_id, exact: true }).waitFor();
    // The version page reads the registered model's MLmodel through the server's parser.
    const registered = page.getByLabel('MLmodel').getByTestId('mlmodel-flavors');
    assert.equal(await registered.textContent(), 'python_function, sklearn');
    await browser.screenshot('56-flow-registered');

    // The version page's source opens the registered folder of the run.
    await page.getByRole('link', { name: `${first.info.artifact_uri}/model` }).click();
    await page.getByRole('button', { name: 'MLmodel' }).waitFor();
    await page.goBack();

    await page.getByRole('link', { name: '← depth-model' }).click();
    await page.getByRole('textbox', { name: 'Alias' }).fill('champion');
    await page.getByRole('button', { name: 'Set alias' }).click();
    await page.getByRole('button', { name: 'Delete alias @champion' }).waitFor();
    const history = page.getByRole('table', { name: 'Promotion history' });
    const newest = history.getByRole('row').nth(1);
    await newest.filter({ hasText: 'alias set (v1)' }).waitFor();
    assert.match((await newest.textContent()) ?? '', /alias: champion; version: 1/);
    await browser.screenshot('57-flow-alias-history');

    const { registered_model: model } = await mlflow<{
      registered_model: { aliases: { alias: string; version: string }[] };
    }>(base, 'registered-models/get?name=depth-model');
    assert.deepEqual(model.aliases, [{ alias: 'champion', version: '1' }]);
    assert.deepEqual(browser.errors, [], 'no console errors');
  });

  void it('reports a change made behind the page as a conflict and overwrites nothing', async () => {
    const { page } = browser;
    await mlflow(base, 'model-versions/create', {
      name: 'depth-model',
      source: `${runs[1]!.info.artifact_uri}/model`,
      run_id: runs[1]!.info.run_id,
    });
    await page.goto(`${base}/models/depth-model`);
    const versions = page.getByRole('table', { name: 'Model versions' });
    await versions.getByRole('link', { name: 'v2' }).waitFor();
    const displayed = (await page.getByTestId('model-revision').textContent()) ?? '';

    // Another client moves the alias while the page still shows it on v1.
    await mlflow(base, 'registered-models/alias', { name: 'depth-model', alias: 'champion', version: '2' });
    await page.getByRole('button', { name: 'Delete alias @champion' }).click();
    const conflict = page.getByRole('alert', { name: 'Conflict' });
    await conflict.waitFor();
    const text = (await conflict.textContent()) ?? '';
    assert.match(text, /Not saved: this model was changed by someone else/);
    assert.match(text, /Nothing was overwritten/);
    assert.match(text, /alias set \(v2\), alias: champion; version: 1 → alias: champion; version: 2/);
    assert.ok(text.includes(`you saw ${displayed.replace('Revision', 'revision')}`), text);
    await browser.screenshot('58-flow-conflict');

    const { registered_model: model } = await mlflow<{
      registered_model: { aliases: { alias: string; version: string }[] };
    }>(base, 'registered-models/get?name=depth-model');
    assert.deepEqual(model.aliases, [{ alias: 'champion', version: '2' }], 'the alias moved elsewhere is kept');

    await conflict.getByRole('button', { name: 'Reload model' }).click();
    await conflict.waitFor({ state: 'detached' });
    const v2 = versions.getByRole('row').filter({ has: page.getByRole('link', { name: 'v2' }) });
    await v2.getByRole('button', { name: 'Delete alias @champion' }).waitFor();
    await browser.screenshot('59-flow-conflict-reloaded');

    // Now current, the page's edits go through: the alias is deleted, and promoting v1 archives v2.
    await v2.getByRole('button', { name: 'Delete alias @champion' }).click();
    await page.getByRole('button', { name: 'Delete alias @champion' }).waitFor({ state: 'detached' });
    const stageOf = (v: string) => versions.getByRole('row').filter({ has: page.getByRole('link', { name: v }) });
    for (const version of ['2', '1']) {
      await page.getByRole('combobox', { name: 'Version to change' }).selectOption(version);
      await page.getByRole('combobox', { name: 'Stage' }).selectOption('Production');
      await page.getByRole('checkbox', { name: /Archive other versions/ }).check();
      await page.getByRole('button', { name: 'Transition stage' }).click();
      await stageOf(`v${version}`).getByRole('cell', { name: 'Production' }).waitFor();
    }
    await stageOf('v2').getByRole('cell', { name: 'Archived' }).waitFor();
    const newest = page.getByRole('table', { name: 'Promotion history' }).getByRole('row').nth(1);
    assert.match((await newest.textContent()) ?? '', /stage changed \(v1\).*archived_versions: 2/);
    await browser.screenshot('60-flow-promoted');
    const { model_versions: stored } = await mlflow<{ model_versions: { version: string; current_stage: string }[] }>(
      base,
      "model-versions/search?filter=name%3D'depth-model'",
    );
    assert.deepEqual(Object.fromEntries(stored.map((v) => [v.version, v.current_stage])), {
      '1': 'Production',
      '2': 'Archived',
    });
    const { registered_model: after } = await mlflow<{ registered_model: { aliases?: unknown[] } }>(
      base,
      'registered-models/get?name=depth-model',
    );
    assert.equal(after.aliases, undefined, 'the alias was deleted');
    // The refused write is the one error the console may show.
    assert.deepEqual(
      browser.errors.filter((e) => !e.includes('status of 409')),
      [],
    );
  });
});

/** The image's decoded width once it has loaded (0 if it failed); polled, as the page's CSP forbids waitForFunction. */
async function loadedWidth(image: Locator): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = await image.evaluate((img) => {
      const element = img as unknown as { complete: boolean; naturalWidth: number };
      return { complete: element.complete, width: element.naturalWidth };
    });
    if (state.complete || Date.now() > deadline) return state.width;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
