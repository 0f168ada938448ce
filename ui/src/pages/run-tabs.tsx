import type { KeyboardEvent } from 'react';

export const TABS = ['overview', 'metrics', 'params', 'tags', 'inputs', 'artifacts'] as const;
export type Tab = (typeof TABS)[number];

/**
 * WAI-ARIA tabs with automatic activation: one tab in the Tab order (the selected one); arrow keys
 * move to the previous or next tab (wrapping), Home and End to the first and last, and select it.
 */
export function RunTabs(props: { tab: Tab; onSelect: (tab: Tab) => void }) {
  const move = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = TABS.indexOf(props.tab);
    const next =
      event.key === 'ArrowRight'
        ? TABS[(index + 1) % TABS.length]
        : event.key === 'ArrowLeft'
          ? TABS[(index - 1 + TABS.length) % TABS.length]
          : event.key === 'Home'
            ? TABS[0]
            : event.key === 'End'
              ? TABS[TABS.length - 1]
              : undefined;
    if (!next) return;
    event.preventDefault();
    props.onSelect(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label="Run sections" onKeyDown={move}>
      {TABS.map((name) => (
        <button
          key={name}
          id={`tab-${name}`}
          type="button"
          role="tab"
          aria-selected={props.tab === name}
          aria-controls={`panel-${name}`}
          tabIndex={props.tab === name ? 0 : -1}
          onClick={() => props.onSelect(name)}
        >
          {name[0]!.toUpperCase() + name.slice(1)}
        </button>
      ))}
    </div>
  );
}
