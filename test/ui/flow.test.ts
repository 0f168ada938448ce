/**
 * The web UI end to end: Debian's Chromium against a real `plumb server` process seeded over the
 * public API. Each step saves a screenshot under test-output/ui/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Locator } from 'playwright-core';
import { type Browser, launchBrowser, mlflow, startUiServer, type UiServer } from '../helpers/ui-browser.ts';

const HISTORY_POINTS = 20_000;
const SPIKE_STEP = 12_345;

interface Seeded {
  readonly experimentId: string;
  readonly runs: { readonly id: string; readonly name: string; readonly lr: string }[];
}

async function seed(baseUrl: string): Promise<Seeded> {
  const { experiment_id: experimentId } = await mlflow<{ experiment_id: string }>(baseUrl, 'experiments/create', {
    name: 'ui-flow',
  });
  const runs: Seeded['runs'] = [];
  for (const [i, lr] of ['0.1', '0.01', '0.001'].entries()) {
    const name = `run-lr-${lr}`;
    const { run } = await mlflow<{ run: { info: { run_id: string } } }>(baseUrl, 'runs/create', {
      experiment_id: experimentId,
      run_name: name,
      start_time: 1_700_000_000_000 + i * 60_000,
      tags: [{ key: 'mlflow.source.name', value: 'train.py' }],
    });
    runs.push({ id: run.info.run_id, name, lr });
    await mlflow(baseUrl, 'runs/log-batch', {
      run_id: run.info.run_id,
      params: [
        { key: 'lr', value: lr },
        { key: 'optimizer', value: 'adam' },
      ],
      tags: [{ key: 'team', value: 'vision' }],
      metrics: [{ key: 'accuracy', value: 0.5 + i / 10, timestamp: 1_700_000_000_000, step: 0 }],
    });
  }
  // One long history with a single spike: the chart must draw it (downsampling keeps each bucket's max).
  const first = runs[0]!.id;
  for (let start = 0; start < HISTORY_POINTS; start += 1000) {
    const metrics = [];
    for (let step = start; step < start + 1000; step++) {
      const value = step === SPIKE_STEP ? 50 : 1 / (1 + step / 1000);
      metrics.push({ key: 'loss', value, timestamp: 1_700_000_000_000 + step * 100, step });
    }
    await mlflow(baseUrl, 'runs/log-batch', { run_id: first, metrics });
  }
  await mlflow(baseUrl, 'runs/set-tag', { run_id: runs[1]!.id, key: 'mlflow.parentRunId', value: first });
  await mlflow(baseUrl, 'runs/update', { run_id: runs[2]!.id, status: 'FINISHED', end_time: 1_700_000_300_000 });
  return { experimentId, runs };
}

void describe('web UI in Chromium', { timeout: 300_000 }, () => {
  let ui: UiServer;
  let browser: Browser;
  let data: Seeded;
  let base: string;

  before(async () => {
    ui = await startUiServer();
    base = ui.server.baseUrl;
    data = await seed(base);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await ui?.close();
  });

  void it('experiment → runs table → filter → run → chart with data, and zoom asks for the zoomed steps', async () => {
    const { page } = browser;
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'ui-flow' }).waitFor();
    await browser.screenshot('01-experiments');

    await page.getByRole('link', { name: 'ui-flow' }).click();
    await page.waitForURL(`**/runs?experiments=${data.experimentId}`);
    const grid = page.getByRole('grid', { name: 'Runs' });
    for (const run of data.runs) await grid.getByRole('link', { name: run.name }).waitFor();
    assert.equal(await grid.getAttribute('aria-rowcount'), String(data.runs.length + 1));
    await browser.screenshot('02-runs-table');

    const filter = page.getByRole('searchbox', { name: 'Filter runs' });
    await filter.fill('params.lr =');
    await filter.press('Enter');
    const problem = page.locator('.filter-box .field-error');
    await problem.filter({ hasText: /\S/ }).waitFor();
    assert.equal(await filter.getAttribute('aria-invalid'), 'true');
    // The server's own message, not a generic one.
    const message = (await problem.textContent()) ?? '';
    assert.ok(message.length > 10, `inline error: ${message}`);
    await browser.screenshot('03-filter-error');

    await filter.fill("params.lr = '0.01'");
    await filter.press('Enter');
    await page.waitForURL(/filter=params\.lr/);
    await attributeBecomes(grid, 'aria-rowcount', (v) => v === '2');
    await grid.getByRole('link', { name: 'run-lr-0.01' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'run-lr-0.1', exact: true }).count(), 0);
    await browser.screenshot('04-filtered');

    // The URL carries the view: a reload shows the same filtered table.
    await page.reload();
    await grid.getByRole('link', { name: 'run-lr-0.01' }).waitFor();
    assert.equal(await filter.inputValue(), "params.lr = '0.01'");

    // Parent/child: the filtered run's parent is the first run, which has the long history.
    await grid.getByRole('link', { name: 'run-lr-0.01' }).click();
    await page.getByRole('heading', { name: 'run-lr-0.01' }).waitFor();
    await page.getByRole('link', { name: data.runs[0]!.id }).click();
    await page.getByRole('heading', { name: 'run-lr-0.1' }).waitFor();
    await page.getByRole('link', { name: 'run-lr-0.01' }).waitFor(); // listed as its child
    await browser.screenshot('05-run-overview');

    const initial = page.waitForRequest((r) => {
      const url = new URL(r.url());
      return url.pathname.endsWith('/get-history-downsampled') && url.searchParams.get('metric_key') === 'loss';
    });
    await page.getByRole('tab', { name: 'Metrics' }).click();
    await page.getByRole('combobox', { name: 'Metric' }).selectOption('loss');
    assert.ok(new URL((await initial).url()).searchParams.get('max_points'));
    await page.locator('.chart[data-metric="loss"][data-state="ok"]').waitFor();
    const chart = page.getByTestId('metric-chart');
    await attributeBecomes(chart, 'data-points', (v) => Number(v) > 0);
    assert.equal(await chart.getAttribute('data-series'), '1');
    const points = Number(await chart.getAttribute('data-points'));
    assert.ok(points > 100 && points <= 2000, `downsampled to ${points} points`);
    assert.ok(await canvasIsDrawn(browser), 'the chart canvas has drawn pixels');
    // The spike survives downsampling: the answer holds it and the y axis reaches it.
    const answer = (await (await (await initial).response())!.json()) as { metrics: { value: number }[] };
    assert.ok(
      answer.metrics.some((m) => m.value === 50),
      'the downsampled history keeps the spike',
    );
    assert.ok(Number(await chart.getAttribute('data-y-max')) >= 50, 'the y axis reaches the spike');
    await browser.screenshot('06-chart');

    const zoomed = page.waitForRequest((r) => {
      const url = new URL(r.url());
      return url.pathname.endsWith('/get-history-downsampled') && url.searchParams.has('start_step');
    });
    const over = await chart.locator('.u-over').boundingBox();
    assert.ok(over);
    await page.mouse.move(over.x + over.width * 0.4, over.y + over.height / 2);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.45, over.y + over.height / 2, { steps: 5 });
    await page.mouse.up();
    const url = new URL((await zoomed).url());
    const start = Number(url.searchParams.get('start_step'));
    const end = Number(url.searchParams.get('end_step'));
    assert.ok(start > 0 && end < HISTORY_POINTS && end - start < HISTORY_POINTS / 5, `zoomed to ${start}–${end}`);
    await page.getByText(`steps ${start}–${end}`).waitFor();
    await browser.screenshot('07-chart-zoomed');

    // Back to the whole history, on relative time, log scale, smoothed: redrawn from the same data.
    await page.getByRole('button', { name: 'Reset zoom' }).click();
    await page.getByText(/steps \d+–\d+/).waitFor({ state: 'detached' });
    await page.getByRole('combobox', { name: 'X axis' }).selectOption('relative');
    await page.getByRole('checkbox', { name: 'Log scale' }).check();
    await page.getByRole('slider', { name: 'Smoothing' }).fill('0.9');
    await page.getByText('0.90').waitFor();
    await page.locator('.chart[data-metric="loss"][data-state="ok"]').waitFor();
    assert.ok(Number(await chart.getAttribute('data-points')) > 100);
    assert.ok(await canvasIsDrawn(browser), 'redrawn on relative time, log scale, smoothed');
    await browser.screenshot('07b-chart-relative-log-smoothed');

    // The one 400 is the bad filter's, asked for on purpose; anything else (a CSP violation) fails.
    const unexpected = browser.errors.filter((e) => !e.includes('status of 400 (Bad Request)'));
    assert.deepEqual(unexpected, [], 'no console errors');
  });

  void it('creates, renames, deletes and restores an experiment', async () => {
    const { page } = browser;
    await page.goto(`${base}/experiments`);
    await page.getByRole('textbox', { name: 'New experiment name' }).fill('made-in-ui');
    await page.getByRole('button', { name: 'Create experiment' }).click();
    await page.getByRole('link', { name: 'made-in-ui' }).waitFor();

    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'made-in-ui' }) });
    await row.getByRole('button', { name: 'Rename' }).click();
    const rename = page.getByRole('textbox', { name: 'New name for made-in-ui' });
    await rename.fill('renamed-in-ui');
    await rename.press('Enter');
    await page.getByRole('link', { name: 'renamed-in-ui' }).waitFor();
    await browser.screenshot('08-experiment-renamed');

    const search = page.getByRole('searchbox', { name: 'Search experiments by name' });
    await search.fill('renamed');
    await page.waitForURL(/q=renamed/);
    await page.getByRole('link', { name: 'ui-flow' }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('link', { name: 'renamed-in-ui' }).count(), 1);

    const renamed = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'renamed-in-ui' }) });
    await renamed.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No experiment matches').waitFor();
    await page.getByRole('checkbox', { name: 'Show deleted' }).check();
    const deleted = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'renamed-in-ui' }) });
    await deleted.getByRole('button', { name: 'Restore' }).click();
    await page.getByText('No deleted experiments').or(page.getByText('No experiment matches')).waitFor();
    await browser.screenshot('09-experiment-restored');

    const { experiments } = await mlflow<{ experiments: { name: string; lifecycle_stage: string }[] }>(
      base,
      'experiments/search',
      { max_results: 100, filter: "name = 'renamed-in-ui'" },
    );
    assert.deepEqual(
      experiments.map((e) => [e.name, e.lifecycle_stage]),
      [['renamed-in-ui', 'active']],
    );
  });

  void it('edits a run tag and the server has it', async () => {
    const { page } = browser;
    const run = data.runs[2]!;
    await page.goto(`${base}/runs/${run.id}?tab=tags`);
    await page.getByRole('textbox', { name: 'Tag key' }).fill('reviewed');
    await page.getByRole('textbox', { name: 'Tag value' }).fill('yes');
    await page.getByRole('button', { name: 'Set tag' }).click();
    await page.getByRole('cell', { name: 'reviewed' }).waitFor();
    await browser.screenshot('10-tag-set');
    const tagRow = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'team', exact: true }) });
    await tagRow.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('cell', { name: 'team', exact: true }).waitFor({ state: 'detached' });
    const { run: stored } = await mlflow<{ run: { data: { tags: { key: string; value: string }[] } } }>(
      base,
      `runs/get?run_id=${run.id}`,
    );
    const tags = Object.fromEntries(stored.data.tags.map((t) => [t.key, t.value]));
    assert.equal(tags.reviewed, 'yes');
    assert.equal(tags.team, undefined);
  });

  void it('reads well in the dark theme too', async () => {
    const dark = await launchBrowser({ colorScheme: 'dark' });
    try {
      await dark.page.goto(`${base}/runs?experiments=${data.experimentId}`);
      await dark.page.getByRole('grid', { name: 'Runs' }).getByRole('link', { name: 'run-lr-0.1' }).waitFor();
      const background = await dark.page.evaluate('getComputedStyle(document.body).backgroundColor');
      assert.equal(background, 'rgb(20, 24, 30)');
      await dark.screenshot('11-runs-dark');
      await dark.page.goto(`${base}/runs/${data.runs[0]!.id}?tab=metrics&metric=loss`);
      await dark.page.locator('.chart[data-metric="loss"][data-state="ok"]').waitFor();
      await dark.screenshot('12-chart-dark');
    } finally {
      await dark.close();
    }
  });
});

/** Whether uPlot drew on its canvas: some pixels are not transparent. (A string: this project's types have no DOM.) */
async function canvasIsDrawn(browser: Browser): Promise<boolean> {
  const painted = await browser.page.evaluate(`(() => {
    const canvas = document.querySelector('[data-testid=metric-chart] canvas');
    const context = canvas && canvas.getContext('2d');
    if (!context) return 0;
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
    return painted;
  })()`);
  return Number(painted) > 500;
}

/** Polls an attribute until `accept` holds (the page's CSP rightly forbids waitForFunction's eval). */
async function attributeBecomes(locator: Locator, name: string, accept: (value: string | null) => boolean) {
  const deadline = Date.now() + 15_000;
  let value = await locator.getAttribute(name);
  while (!accept(value)) {
    if (Date.now() > deadline) throw new Error(`${name} stayed ${value}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await locator.getAttribute(name);
  }
  return value;
}
