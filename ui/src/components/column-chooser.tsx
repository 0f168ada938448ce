import { useMemo, useState } from 'react';
import type { KeySets } from '../pages/run-rows.ts';

export type ColumnKind = 'metric' | 'param' | 'tag';

export interface ColumnRef {
  readonly kind: ColumnKind;
  readonly key: string;
}

const PREFIX: Record<ColumnKind, string> = { metric: 'm', param: 'p', tag: 't' };
const KIND_OF: Record<string, ColumnKind> = { m: 'metric', p: 'param', t: 'tag' };

/** `m:key` / `p:key` / `t:key`, comma-joined with each key percent-encoded: the URL form of the chosen columns. */
export function encodeColumns(columns: readonly ColumnRef[]): string {
  return columns.map((c) => `${PREFIX[c.kind]}:${encodeURIComponent(c.key)}`).join(',');
}

export function decodeColumns(text: string | null): ColumnRef[] {
  if (!text) return [];
  const columns: ColumnRef[] = [];
  for (const part of text.split(',')) {
    const kind = KIND_OF[part.slice(0, 1)];
    if (kind === undefined || part[1] !== ':') continue;
    try {
      columns.push({ kind, key: decodeURIComponent(part.slice(2)) });
    } catch {
      // a hand-edited URL with a broken escape: that one column is dropped
    }
  }
  return columns;
}

/** Choices listed at once: with thousands of keys the list is narrowed by typing. */
const MAX_LISTED = 200;

export function ColumnChooser(props: {
  keys: KeySets;
  chosen: readonly ColumnRef[];
  onChange: (columns: ColumnRef[]) => void;
}) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState('');
  const chosenIds = useMemo(() => new Set(props.chosen.map((c) => `${c.kind}:${c.key}`)), [props.chosen]);
  const all = useMemo(() => {
    const list: ColumnRef[] = [];
    for (const key of props.keys.metrics) list.push({ kind: 'metric', key });
    for (const key of props.keys.params) list.push({ kind: 'param', key });
    for (const key of props.keys.tags) list.push({ kind: 'tag', key });
    return list;
  }, [props.keys]);
  const needle = search.trim().toLowerCase();
  const matching = needle === '' ? all : all.filter((c) => c.key.toLowerCase().includes(needle));
  const listed = matching.slice(0, MAX_LISTED);
  const toggle = (column: ColumnRef) => {
    const id = `${column.kind}:${column.key}`;
    props.onChange(
      chosenIds.has(id) ? props.chosen.filter((c) => `${c.kind}:${c.key}` !== id) : [...props.chosen, column],
    );
  };
  return (
    <div className="chooser">
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        Columns ({props.chosen.length} of {all.length})
      </button>
      {open && (
        <div
          className="chooser-panel"
          role="dialog"
          aria-label="Choose columns"
          onKeyDown={(event) => {
            if (event.key === 'Escape') setOpen(false);
          }}
        >
          <input
            type="search"
            aria-label="Search columns"
            placeholder="Search metrics, params, tags"
            value={search}
            autoFocus
            onChange={(event) => setSearch(event.target.value)}
            style={{ width: '100%', marginBottom: 8 }}
          />
          <div className="toolbar">
            <button type="button" onClick={() => props.onChange([])} disabled={props.chosen.length === 0}>
              Clear
            </button>
            <span className="muted">
              {matching.length > MAX_LISTED
                ? `${MAX_LISTED} of ${matching.length} shown: type to narrow`
                : `${matching.length} keys`}
            </span>
          </div>
          {listed.map((column) => (
            <label key={`${column.kind}:${column.key}`}>
              <input
                type="checkbox"
                checked={chosenIds.has(`${column.kind}:${column.key}`)}
                onChange={() => toggle(column)}
              />{' '}
              <span className="muted">{column.kind}</span> {column.key}
            </label>
          ))}
        </div>
      )}
    </div>
  );
}
