/**
 * A 1,000,000-point metric history in the chart, in Chromium against a real `plumb server`: logged
 * over the API (log-batch, so the rollups are the ones ingest builds), drawn from the downsampled
 * endpoint with its one spike visible, and zoomed, which fetches the zoomed steps in full detail.
 * The times are printed.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { type Browser, launchBrowser, mlflow, startUiServer, type UiServer } from '../helpers/ui-browser.ts';

const POINTS = 1_000_000;
const BATCH = 1000;
const WRITERS = 4;
const SPIKE_STEP = 654_321;
/** Interactive: the whole history drawn, and a zoom redrawn, each within this. */
const DRAW_BUDGET_MS = 3000;

void describe('metric chart with a 1,000,000-point history', { timeout: 900_000 }, () => {
  let ui: UiServer;
  let browser: Browser;
  let runId: string;

  before(async () => {
    ui = await startUiServer();
    const base = ui.server.baseUrl;
    const { run } = await mlflow<{ run: { info: { run_id: string } } }>(base, 'runs/create', {
      experiment_id: '0',
      run_name: 'million',
    });
    runId = run.info.run_id;
    const started = performance.now();
    let next = 0;
    const writer = async () => {
      while (next < POINTS) {
        const start = next;
        next += BATCH;
        const metrics = [];
        for (let step = start; step < start + BATCH; step++) {
          const value = step === SPIKE_STEP ? 1000 : Math.sin(step / 5000) + 2;
          metrics.push({ key: 'loss', value, timestamp: 1_700_000_000_000 + step, step });
        }
        await mlflow(base, 'runs/log-batch', { run_id: runId, metrics });
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, writer));
    console.log(`logged ${POINTS} points over the API in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    browser = await launchBrowser({ timeoutMs: 60_000 });
  });
  after(async () => {
    await browser?.close();
    await ui?.close();
  });

  void it('draws the whole history with its spike, then the zoomed range in full detail', async (t) => {
    const { page } = browser;
    const started = performance.now();
    await page.goto(`${ui.server.baseUrl}/runs/${runId}?tab=metrics&metric=loss`);
    await page.locator('.chart[data-metric="loss"][data-state="ok"]').waitFor();
    const chart = page.getByTestId('metric-chart');
    await chart.locator('canvas').waitFor();
    const wholeMs = performance.now() - started;
    const points = Number(await chart.getAttribute('data-points'));
    assert.ok(points > 500 && points <= 2000, `${points} points drawn for ${POINTS}`);
    assert.ok(Number(await chart.getAttribute('data-y-max')) >= 1000, 'the one spike is on the chart');
    await browser.screenshot('30-million-points');

    const over = await chart.locator('.u-over').boundingBox();
    assert.ok(over);
    const zoomed = page.waitForResponse((r) => new URL(r.url()).searchParams.has('start_step'));
    const zoomStarted = performance.now();
    await page.mouse.move(over.x + over.width * 0.5, over.y + over.height / 2);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.5005 + 2, over.y + over.height / 2, { steps: 3 });
    await page.mouse.up();
    const response = await zoomed;
    await page.locator('.chart[data-metric="loss"][data-state="ok"]').waitFor();
    await page.getByText(/steps \d+–\d+/).waitFor();
    const zoomMs = performance.now() - zoomStarted;
    const url = new URL(response.url());
    const span = Number(url.searchParams.get('end_step')) - Number(url.searchParams.get('start_step'));
    const answer = (await response.json()) as { metrics: unknown[]; step_bucket_width?: number };
    await browser.screenshot('31-million-points-zoomed');

    t.diagnostic(
      `1M points: drawn in ${wholeMs.toFixed(0)} ms, zoom to ${span} steps redrawn in ${zoomMs.toFixed(0)} ms`,
    );
    console.log(
      `chart, 1M points: whole history drawn in ${wholeMs.toFixed(0)} ms; zoom to ${span} steps ` +
        `(${answer.metrics.length} points, bucket width ${answer.step_bucket_width ?? 1}) in ${zoomMs.toFixed(0)} ms`,
    );
    assert.ok(span < POINTS / 100, `zoomed to ${span} steps`);
    // Narrower than the budget of points: the zoomed range comes back point for point.
    if (span < 2000) assert.equal(answer.step_bucket_width, undefined);
    assert.ok(wholeMs < DRAW_BUDGET_MS, `whole history took ${wholeMs.toFixed(0)} ms`);
    assert.ok(zoomMs < DRAW_BUDGET_MS, `zoom took ${zoomMs.toFixed(0)} ms`);
  });
});
