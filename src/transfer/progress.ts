/** How far a long-running maintenance job has come; the CLI draws it on stderr. */
export interface ProgressEvent {
  /** What is being done, e.g. `scan`, `reconcile`, `runs`. */
  readonly phase: string;
  readonly done: number;
  /** Undefined while the total is not known yet. */
  readonly total?: number | undefined;
}

export type OnProgress = (event: ProgressEvent) => void;

export const noProgress: OnProgress = () => undefined;
