import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { type GridColumn, VirtualGrid, visibleRange } from './virtual-grid.tsx';

const ROWS = 100_000;
const COLUMN_COUNT = 5_000;
const columns: GridColumn[] = Array.from({ length: COLUMN_COUNT }, (_, c) => ({
  id: `m${c}`,
  width: 100,
  header: `metric ${c}`,
  cell: (row: number) => `r${row}c${c}`,
}));
const pinned: GridColumn[] = [{ id: 'name', width: 200, header: 'Run', cell: (row: number) => `run ${row}` }];

function renderGrid(onVisibleRows = vi.fn()) {
  render(
    <VirtualGrid
      label="Runs"
      rowCount={ROWS}
      rowHeight={32}
      pinned={pinned}
      columns={columns}
      onVisibleRows={onVisibleRows}
      fallbackSize={{ width: 1200, height: 640 }}
    />,
  );
  return { grid: screen.getByRole('grid', { name: 'Runs' }), onVisibleRows };
}

function scrollTo(grid: HTMLElement, top: number, left: number) {
  // jsdom has no layout: set the offsets the browser would have, then tell the grid.
  Object.defineProperty(grid, 'scrollTop', { configurable: true, value: top });
  Object.defineProperty(grid, 'scrollLeft', { configurable: true, value: left });
  fireEvent.scroll(grid);
}

describe('VirtualGrid', () => {
  it('renders only the rows and columns in view out of 100,000 × 5,000', () => {
    const { grid } = renderGrid();
    const rows = screen.getAllByRole('row');
    // header + 20 rows in 640 px + overscan: a screenful, not 100,000.
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.length).toBeLessThan(40);
    const headers = screen.getAllByRole('columnheader');
    expect(headers.length).toBeLessThan(25);
    expect(grid.getAttribute('aria-rowcount')).toBe(String(ROWS + 1));
    expect(grid.getAttribute('aria-colcount')).toBe(String(COLUMN_COUNT + 1));
    expect(screen.getByText('r0c0')).toBeTruthy();
    expect(screen.queryByText('r0c100')).toBeNull();
    // The scroll area is as large as all rows and columns together.
    const body = grid.querySelector<HTMLElement>('.grid-body')!;
    expect(body.style.height).toBe(`${ROWS * 32}px`);
    expect(body.style.width).toBe(`${200 + COLUMN_COUNT * 100}px`);
  });

  it('shows row 50,000 and column 2,500 after scrolling there, with the pinned name column still in place', () => {
    const { grid, onVisibleRows } = renderGrid();
    scrollTo(grid, 50_000 * 32, 2_500 * 100);
    const row = grid.querySelector('[aria-rowindex="50002"]');
    expect(row).not.toBeNull();
    expect(row!.textContent).toContain('run 50000');
    expect(row!.textContent).toContain('r50000c2500');
    expect(grid.querySelector('[aria-rowindex="2"]')).toBeNull();
    expect(screen.queryByText('r50000c0')).toBeNull();
    expect(screen.getAllByRole('row').length).toBeLessThan(40);
    expect(screen.getAllByRole('columnheader').some((h) => h.textContent === 'metric 2500')).toBe(true);
    const [first, last] = onVisibleRows.mock.calls.at(-1) as [number, number];
    expect(first).toBeLessThanOrEqual(50_000);
    expect(last).toBeGreaterThanOrEqual(50_019);
  });
});

describe('visibleRange', () => {
  it('finds the items that meet a window by binary search', () => {
    const offsets = [0, 100, 250, 300, 500];
    const widths = [100, 150, 50, 200, 100];
    expect(visibleRange(offsets, widths, 0, 50)).toEqual({ first: 0, last: 0 });
    expect(visibleRange(offsets, widths, 120, 320)).toEqual({ first: 1, last: 3 });
    expect(visibleRange(offsets, widths, 550, 900)).toEqual({ first: 4, last: 4 });
    expect(visibleRange([], [], 0, 100)).toEqual({ first: 0, last: -1 });
  });
});
