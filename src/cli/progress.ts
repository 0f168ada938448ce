import type { OnProgress, ProgressEvent } from '../transfer/progress.ts';

const TTY_INTERVAL_MS = 100;
const LOG_INTERVAL_MS = 5000;
const BAR_WIDTH = 24;

function render(event: ProgressEvent): string {
  if (event.total === undefined) return `${event.phase}: ${event.done}`;
  const share = event.total === 0 ? 1 : Math.min(1, event.done / event.total);
  const filled = Math.round(share * BAR_WIDTH);
  return `${event.phase} [${'#'.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}] ${event.done}/${event.total}`;
}

/**
 * Progress on stderr, so stdout stays the result (and valid JSON with --json): a bar redrawn in
 * place on a terminal, otherwise a line every few seconds and one when a phase completes.
 */
export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): OnProgress & { end(): void } {
  const tty = stream.isTTY === true;
  let last = 0;
  let phase = '';
  let pending: ProgressEvent | undefined;
  const write = (event: ProgressEvent) => {
    stream.write(tty ? `\r\u001b[2K${render(event)}` : `${render(event)}\n`);
    last = Date.now();
    pending = undefined;
  };
  const progress = (event: ProgressEvent) => {
    const finished = event.total !== undefined && event.done >= event.total;
    if (event.phase !== phase) {
      if (pending) write(pending);
      if (tty && phase !== '') stream.write('\n');
      phase = event.phase;
      write(event);
      return;
    }
    if (finished || Date.now() - last >= (tty ? TTY_INTERVAL_MS : LOG_INTERVAL_MS)) write(event);
    else pending = event;
  };
  return Object.assign(progress, {
    end() {
      if (pending) write(pending);
      if (tty && phase !== '') stream.write('\n');
      phase = '';
    },
  });
}

export const silentProgress: OnProgress & { end(): void } = Object.assign(() => undefined, { end: () => undefined });
