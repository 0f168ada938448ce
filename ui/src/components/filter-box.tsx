import { type FormEvent, useEffect, useId, useState } from 'react';

export interface FilterBoxProps {
  /** The filter in force (from the URL). */
  readonly value: string;
  /** Asks the server whether `filter` parses: the 400's message when not, undefined when it does. */
  validate(filter: string): Promise<string | undefined>;
  onApply(filter: string): void;
  /** An error about the filter in force, e.g. when a link carried a bad one. */
  readonly error?: string | undefined;
}

/**
 * MLflow's filter-string box. The grammar lives in the server, so validation asks the server and
 * shows its 400 message under the box (the table keeps the last good result meanwhile).
 */
export function FilterBox(props: FilterBoxProps) {
  const [draft, setDraft] = useState(props.value);
  const [error, setError] = useState<string | undefined>();
  const [checking, setChecking] = useState(false);
  const errorId = useId();
  useEffect(() => setDraft(props.value), [props.value]);
  const shownError = error ?? (draft === props.value ? props.error : undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const filter = draft.trim();
    setChecking(true);
    try {
      const problem = filter === '' ? undefined : await props.validate(filter);
      setError(problem);
      if (problem === undefined) props.onApply(filter);
    } finally {
      setChecking(false);
    }
  };

  return (
    <form className="grow filter-box" role="search" onSubmit={(event) => void submit(event)}>
      <div style={{ display: 'flex', gap: 8 }}>
        <input
          type="search"
          aria-label="Filter runs"
          placeholder={"metrics.accuracy > 0.9 and params.model = 'cnn'"}
          value={draft}
          onChange={(event) => {
            setDraft(event.target.value);
            setError(undefined);
          }}
          aria-invalid={shownError !== undefined}
          aria-describedby={errorId}
          className="mono"
          style={{ flex: 1 }}
        />
        <button type="submit" disabled={checking}>
          Apply
        </button>
      </div>
      <p id={errorId} className="field-error" role="status" aria-live="polite">
        {shownError ?? ''}
      </p>
    </form>
  );
}
