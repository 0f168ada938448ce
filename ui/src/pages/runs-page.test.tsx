import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../app.tsx';
import { fakeFetch } from '../test/fake-fetch.ts';

const PAGE = 1000;

function run(i: number) {
  return {
    info: {
      run_id: `run${i}`,
      run_name: `run-${i}`,
      experiment_id: '7',
      status: 'FINISHED',
      lifecycle_stage: 'active',
    },
    data: { metrics: [{ key: 'loss', value: i / 10, timestamp: 0, step: 0 }], params: [{ key: 'lr', value: '0.1' }] },
  };
}

/** runs/search over 5,000 runs, max_results at a time, the page token being the offset. */
function runsServer() {
  return fakeFetch((request) => {
    if (request.url.pathname.endsWith('/experiments/get')) {
      return { body: { experiment: { experiment_id: '7', name: 'exp-seven', lifecycle_stage: 'active' } } };
    }
    const offset = Number(request.body?.page_token ?? 0);
    const end = Math.min(offset + Number(request.body?.max_results), 5000);
    const runs = Array.from({ length: end - offset }, (_, i) => run(offset + i));
    return { body: { runs, ...(end < 5000 ? { next_page_token: String(end) } : {}) } };
  });
}

describe('RunsPage', () => {
  let server: ReturnType<typeof runsServer>;
  beforeEach(() => {
    server = runsServer();
    vi.stubGlobal('fetch', server.fetcher);
    window.history.replaceState(null, '', '/runs?experiments=7');
  });
  afterEach(() => vi.unstubAllGlobals());

  const searches = () => server.requests.filter((r) => r.url.pathname.endsWith('/runs/search'));

  it('fetches the next page with its token as the user scrolls near the end, pages growing', async () => {
    render(<App />);
    await screen.findByText('1000 runs loaded, more as you scroll');
    expect(searches()).toHaveLength(1);
    expect(searches()[0]!.body).toMatchObject({
      experiment_ids: ['7'],
      max_results: PAGE,
      run_view_type: 'ACTIVE_ONLY',
    });
    expect(searches()[0]!.body?.page_token).toBeUndefined();
    expect(await screen.findByRole('heading', { name: /exp-seven/ })).toBeTruthy();

    const grid = screen.getByRole('grid', { name: 'Runs' });
    await act(async () => {
      Object.defineProperty(grid, 'scrollTop', { configurable: true, value: 900 * 32 });
      fireEvent.scroll(grid);
    });
    await screen.findByText('3000 runs loaded, more as you scroll');
    expect(searches()[1]!.body).toMatchObject({ page_token: '1000', max_results: 2 * PAGE });
    await act(async () => {
      Object.defineProperty(grid, 'scrollTop', { configurable: true, value: 2900 * 32 });
      fireEvent.scroll(grid);
    });
    await screen.findByText('5000 runs loaded');
    expect(searches().map((r) => [r.body?.page_token, r.body?.max_results])).toEqual([
      [undefined, PAGE],
      ['1000', 2 * PAGE],
      ['3000', 4 * PAGE],
    ]);
    expect(grid.getAttribute('aria-rowcount')).toBe('5001');
  });

  it('sorts by a column header and keeps the order in the URL, starting again from the first page', async () => {
    render(<App />);
    await screen.findByText('1000 runs loaded, more as you scroll');
    // The header row may render a tick after the status line (it failed once in CI with getByRole).
    fireEvent.click(await screen.findByRole('button', { name: /^loss/ }));
    await waitFor(() => expect(searches()).toHaveLength(2));
    expect(searches()[1]!.body).toMatchObject({ order_by: ['metrics.`loss` DESC'] });
    expect(searches()[1]!.body?.page_token).toBeUndefined();
    expect(new URLSearchParams(window.location.search).get('order')).toBe('metrics.`loss` DESC');
    fireEvent.click(screen.getByRole('button', { name: /^loss/ }));
    await waitFor(() => expect(searches()).toHaveLength(3));
    expect(searches()[2]!.body).toMatchObject({ order_by: ['metrics.`loss` ASC'] });
  });

  it('adds the status filter to the filter string with AND and the lifecycle as the view type', async () => {
    window.history.replaceState(null, '', "/runs?experiments=7&filter=params.lr+%3D+'0.1'&status=FAILED&view=all");
    render(<App />);
    await screen.findByText('1000 runs loaded, more as you scroll');
    expect(searches()[0]!.body).toMatchObject({
      filter: "params.lr = '0.1' and attributes.status = 'FAILED'",
      run_view_type: 'ALL',
    });
    expect((screen.getByRole('searchbox', { name: 'Filter runs' }) as HTMLInputElement).value).toBe(
      "params.lr = '0.1'",
    );
  });
});
