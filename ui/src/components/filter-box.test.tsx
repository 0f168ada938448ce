import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, PlumbApi } from '../api/client.ts';
import { fakeFetch } from '../test/fake-fetch.ts';
import { FilterBox } from './filter-box.tsx';

const SERVER_MESSAGE = "Invalid filter 'metrics.acc >>> 1': unexpected token '>' at position 13";

/** What the runs page does: ask runs/search for one run and turn a 400 into its message. */
function validatorOver(api: PlumbApi) {
  return async (filter: string) => {
    try {
      await api.searchRuns({ experimentIds: ['0'], filter, maxResults: 1 });
      return undefined;
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) return error.message;
      throw error;
    }
  };
}

describe('FilterBox', () => {
  it("shows the server's 400 message inline and does not apply a bad filter", async () => {
    const server = fakeFetch((request) =>
      String(request.body?.filter).includes('>>>')
        ? { status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: SERVER_MESSAGE } }
        : { body: { runs: [] } },
    );
    const onApply = vi.fn();
    render(<FilterBox value="" validate={validatorOver(new PlumbApi(server.fetcher))} onApply={onApply} />);
    const input = screen.getByRole('searchbox', { name: 'Filter runs' });
    fireEvent.change(input, { target: { value: 'metrics.acc >>> 1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await screen.findByText(SERVER_MESSAGE);
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(onApply).not.toHaveBeenCalled();
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.url.pathname).toBe('/ajax-api/2.0/mlflow/runs/search');
    expect(server.requests[0]!.body).toMatchObject({ filter: 'metrics.acc >>> 1', max_results: 1 });

    // Editing clears the error at once; a filter the server accepts is applied.
    fireEvent.change(input, { target: { value: 'metrics.acc > 1' } });
    expect(screen.queryByText(SERVER_MESSAGE)).toBeNull();
    expect(input.getAttribute('aria-invalid')).toBe('false');
    fireEvent.submit(input);
    await waitFor(() => expect(onApply).toHaveBeenCalledWith('metrics.acc > 1'));
  });

  it('applies an empty filter without asking the server', async () => {
    const validate = vi.fn(async () => 'never');
    const onApply = vi.fn();
    render(<FilterBox value="params.x = '1'" validate={validate} onApply={onApply} />);
    const input = screen.getByRole('searchbox', { name: 'Filter runs' });
    fireEvent.change(input, { target: { value: '   ' } });
    fireEvent.submit(input);
    await waitFor(() => expect(onApply).toHaveBeenCalledWith(''));
    expect(validate).not.toHaveBeenCalled();
  });

  it('shows an error about the filter in force (a link with a bad filter) until the user edits it', () => {
    render(<FilterBox value="bad" validate={async () => undefined} onApply={() => {}} error="bad filter" />);
    expect(screen.getByText('bad filter')).toBeTruthy();
    fireEvent.change(screen.getByRole('searchbox', { name: 'Filter runs' }), { target: { value: 'better' } });
    expect(screen.queryByText('bad filter')).toBeNull();
  });
});
