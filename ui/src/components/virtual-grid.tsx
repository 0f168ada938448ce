import { type ReactNode, type UIEvent, useLayoutEffect, useMemo, useRef, useState } from 'react';

export interface GridColumn {
  readonly id: string;
  readonly width: number;
  readonly header: ReactNode;
  cell(row: number): ReactNode;
}

export interface VirtualGridProps {
  readonly label: string;
  readonly rowCount: number;
  readonly rowHeight: number;
  /** Always shown at the left (selection, name); they scroll vertically only. */
  readonly pinned: readonly GridColumn[];
  /** Any number (thousands): only those in view are rendered. */
  readonly columns: readonly GridColumn[];
  readonly isSelected?: (row: number) => boolean;
  /** Called with the rows in view (first, last), e.g. to fetch the next page before the user gets there. */
  readonly onVisibleRows?: (first: number, last: number) => void;
  /** The viewport's size before it can be measured (jsdom has no layout). */
  readonly fallbackSize?: { readonly width: number; readonly height: number };
  readonly footer?: ReactNode;
}

/** Rows and columns drawn beyond the viewport on each side, so fast scrolling shows no blank edge. */
const OVERSCAN_ROWS = 8;
const OVERSCAN_PX = 400;

/** The index range [first, last] of the items of `size` at `offsets` that meet [start, end). */
export function visibleRange(offsets: readonly number[], widths: readonly number[], start: number, end: number) {
  if (offsets.length === 0) return { first: 0, last: -1 };
  let low = 0;
  let high = offsets.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (offsets[mid]! <= start) low = mid;
    else high = mid - 1;
  }
  let last = low;
  while (last + 1 < offsets.length && offsets[last + 1]! < end) last++;
  if (offsets[low]! + widths[low]! <= start && low + 1 < offsets.length) low++;
  return { first: low, last };
}

/**
 * A table that renders only what is in view, in both directions: 100,000 rows and thousands of
 * columns cost the same as a screenful. Rows have one fixed height, so row i sits at i × height
 * and no row is measured; the scroll container's size comes from the totals.
 */
export function VirtualGrid(props: VirtualGridProps) {
  const viewport = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, left: 0 });
  const [size, setSize] = useState(props.fallbackSize ?? { width: 1200, height: 600 });
  useLayoutEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const measure = () => {
      if (element.clientHeight > 0) setSize({ width: element.clientWidth, height: element.clientHeight });
    };
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const layout = useMemo(() => {
    const offsets: number[] = [];
    const widths: number[] = [];
    let x = 0;
    for (const column of props.columns) {
      offsets.push(x);
      widths.push(column.width);
      x += column.width;
    }
    return { offsets, widths, total: x };
  }, [props.columns]);
  const pinnedWidth = props.pinned.reduce((sum, column) => sum + column.width, 0);

  const bodyHeight = props.rowCount * props.rowHeight;
  const firstRow = Math.max(0, Math.floor(scroll.top / props.rowHeight) - OVERSCAN_ROWS);
  const lastRow = Math.min(props.rowCount - 1, Math.ceil((scroll.top + size.height) / props.rowHeight) + OVERSCAN_ROWS);
  const columnsInView = visibleRange(
    layout.offsets,
    layout.widths,
    Math.max(0, scroll.left - OVERSCAN_PX),
    scroll.left + size.width - pinnedWidth + OVERSCAN_PX,
  );
  const shown = props.columns.slice(columnsInView.first, columnsInView.last + 1);
  const leadingSpace = layout.offsets[columnsInView.first] ?? 0;
  const rowWidth = pinnedWidth + layout.total;

  const { onVisibleRows } = props;
  useLayoutEffect(() => {
    if (onVisibleRows && props.rowCount > 0) onVisibleRows(firstRow, lastRow);
  }, [onVisibleRows, firstRow, lastRow, props.rowCount]);

  const onScroll = (event: UIEvent<HTMLDivElement>) => {
    const { scrollTop, scrollLeft } = event.currentTarget;
    setScroll((previous) =>
      previous.top === scrollTop && previous.left === scrollLeft ? previous : { top: scrollTop, left: scrollLeft },
    );
  };

  const rows: ReactNode[] = [];
  for (let row = firstRow; row <= lastRow; row++) {
    const selected = props.isSelected?.(row) ?? false;
    rows.push(
      <div
        key={row}
        role="row"
        aria-rowindex={row + 2}
        aria-selected={selected}
        className="grid-row"
        style={{ top: row * props.rowHeight, width: rowWidth }}
      >
        <div className="grid-pinned">
          {props.pinned.map((column) => (
            <div key={column.id} role="gridcell" className="grid-cell" style={{ width: column.width }}>
              {column.cell(row)}
            </div>
          ))}
        </div>
        <div style={{ width: leadingSpace, flex: 'none' }} />
        {shown.map((column) => (
          <div key={column.id} role="gridcell" className="grid-cell" style={{ width: column.width }}>
            {column.cell(row)}
          </div>
        ))}
      </div>,
    );
  }

  return (
    <div
      ref={viewport}
      className="grid"
      role="grid"
      aria-label={props.label}
      aria-rowcount={props.rowCount + 1}
      aria-colcount={props.pinned.length + props.columns.length}
      tabIndex={0}
      onScroll={onScroll}
      data-testid="runs-grid"
    >
      <div role="row" aria-rowindex={1} className="grid-header" style={{ width: rowWidth }}>
        <div className="grid-pinned">
          {props.pinned.map((column) => (
            <div key={column.id} role="columnheader" className="grid-cell" style={{ width: column.width }}>
              {column.header}
            </div>
          ))}
        </div>
        <div style={{ width: leadingSpace, flex: 'none' }} />
        {shown.map((column) => (
          <div key={column.id} role="columnheader" className="grid-cell" style={{ width: column.width }}>
            {column.header}
          </div>
        ))}
      </div>
      <div className="grid-body" style={{ height: bodyHeight, width: rowWidth }}>
        {rows}
      </div>
      {props.footer}
    </div>
  );
}
