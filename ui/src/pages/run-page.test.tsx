import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../app.tsx';
import { fakeFetch } from '../test/fake-fetch.ts';

const RUN = {
  info: { run_id: 'r1', run_name: 'trainer', experiment_id: '4', status: 'FINISHED', lifecycle_stage: 'active' },
  data: { metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [] },
  outputs: {
    model_outputs: [
      { model_id: 'm-own', step: 7 },
      { model_id: 'm-elsewhere', step: 2 },
    ],
  },
};

function runServer() {
  return fakeFetch((request) => {
    if (request.url.pathname.endsWith('/runs/get')) return { body: { run: RUN } };
    if (request.url.pathname.endsWith('/runs/search')) return { body: {} };
    if (request.url.pathname.endsWith('/logged-models/search')) {
      return {
        body: {
          models: [
            {
              info: {
                model_id: 'm-own',
                experiment_id: '4',
                name: 'classifier',
                model_type: 'sklearn',
                status: 'LOGGED_MODEL_READY',
                source_run_id: 'r1',
              },
            },
            { info: { model_id: 'm-second', experiment_id: '4', name: 'embedder', status: 'LOGGED_MODEL_PENDING' } },
          ],
        },
      };
    }
    return { body: { files: [] } };
  });
}

describe('RunPage', () => {
  let server: ReturnType<typeof runServer>;
  beforeEach(() => {
    server = runServer();
    vi.stubGlobal('fetch', server.fetcher);
    window.history.replaceState(null, '', '/runs/r1');
  });

  it("lists the models a logged-models search finds for the run, and its outputs' other models", async () => {
    render(<App />);
    const table = await screen.findByRole('table', { name: 'Logged models' });
    const search = server.requests.find((r) => r.url.pathname.endsWith('/logged-models/search'))!;
    expect(search.method).toBe('POST');
    expect(search.body).toMatchObject({ experiment_ids: ['4'], filter: "source_run_id = 'r1'" });
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((row) => [...row.children].slice(0, 5).map((c) => c.textContent));
    expect(rows).toEqual([
      ['classifier', 'm-own', 'sklearn', 'READY', '7'],
      ['embedder', 'm-second', '—', 'PENDING', '—'],
      ['output of this run', 'm-elsewhere', '—', '—', '2'],
    ]);
  });

  it('moves between tabs with the arrow keys, Home and End, keeping one tab in the Tab order', async () => {
    render(<App />);
    await screen.findByRole('heading', { name: 'trainer' });
    const tab = (name: string) => screen.getByRole('tab', { name });
    const overview = tab('Overview');
    expect(overview.getAttribute('aria-selected')).toBe('true');
    expect(screen.getAllByRole('tab').map((t) => t.tabIndex)).toEqual([0, -1, -1, -1, -1, -1]);
    overview.focus();

    fireEvent.keyDown(overview, { key: 'ArrowRight' });
    await waitFor(() => expect(tab('Metrics').getAttribute('aria-selected')).toBe('true'));
    expect(document.activeElement).toBe(tab('Metrics'));
    expect(window.location.search).toBe('?tab=metrics');
    expect(tab('Metrics').tabIndex).toBe(0);
    expect(overview.tabIndex).toBe(-1);

    fireEvent.keyDown(tab('Metrics'), { key: 'ArrowLeft' });
    fireEvent.keyDown(tab('Overview'), { key: 'ArrowLeft' });
    await waitFor(() => expect(tab('Artifacts').getAttribute('aria-selected')).toBe('true'));
    expect(document.activeElement).toBe(tab('Artifacts'));

    fireEvent.keyDown(tab('Artifacts'), { key: 'Home' });
    await waitFor(() => expect(document.activeElement).toBe(tab('Overview')));
    fireEvent.keyDown(tab('Overview'), { key: 'End' });
    await waitFor(() => expect(document.activeElement).toBe(tab('Artifacts')));
    const panel = screen.getByRole('tabpanel');
    expect(panel.getAttribute('aria-labelledby')).toBe('tab-artifacts');
    expect(tab('Artifacts').getAttribute('aria-controls')).toBe(panel.id);

    // Other keys are left alone.
    fireEvent.keyDown(tab('Artifacts'), { key: 'ArrowDown' });
    expect(tab('Artifacts').getAttribute('aria-selected')).toBe('true');
  });
});
