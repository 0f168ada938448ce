import type { ImportProgress, ImportReport } from '../transfer/mlflow-import.service.ts';

/** How `plumb import mlflow` shows its progress and its report. */

const REDRAW_MS = 100;

/**
 * A progress line redrawn in place on stderr, at most every 100 ms. Only for a terminal: when
 * stderr is a file or a pipe (CI logs) or the output is JSON, the caller passes none.
 */
export function progressLine(stream: NodeJS.WriteStream = process.stderr) {
  let last = 0;
  let shown = false;
  const draw = (p: ImportProgress) => {
    const count = p.total === undefined ? `${p.done}` : `${p.done}/${p.total}`;
    stream.write(`\r\u001b[2K${p.phase} ${count}`);
    shown = true;
    last = Date.now();
  };
  return {
    update(p: ImportProgress) {
      if (Date.now() - last >= REDRAW_MS || (p.total !== undefined && p.done >= p.total)) draw(p);
    },
    end() {
      if (shown) stream.write('\r\u001b[2K');
      shown = false;
    },
  };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The report as people read it: what was imported, conflicts, warnings and the verification table. */
export function formatReport(report: ImportReport, target: string): string {
  const lines: string[] = [];
  const revision = report.alembicRevision ? `Alembic revision ${report.alembicRevision}` : 'no Alembic revision';
  lines.push(`${report.dryRun ? 'Dry run: would import' : 'Imported'} ${report.source} (${revision}) into ${target}`);
  for (const e of report.entities) {
    const verb = report.dryRun ? 'to import' : 'imported';
    lines.push(`  ${pad(e.kind, 18)} ${pad(String(e.imported), 7, true)} ${verb}, ${e.present} already present`);
  }
  if (report.conflicts.length > 0) {
    lines.push('', 'Refused: Plumb already holds different data under the same ids or names. Nothing was written.');
    for (const c of report.conflicts) lines.push(`  - ${c}`);
    lines.push(
      'Import into a new, empty Plumb database (a new SQLite file, or an empty PostgreSQL/MySQL database), or remove the conflicting entities first.',
    );
  }
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  if (report.verification) {
    lines.push('', 'Verification (rows in MLflow vs in Plumb):');
    lines.push(`  ${pad('table', 26)} ${pad('MLflow', 9, true)} ${pad('Plumb', 9, true)}`);
    for (const row of report.verification) {
      const mark = row.source === row.plumb ? 'ok' : 'MISMATCH';
      lines.push(
        `  ${pad(row.table, 26)} ${pad(String(row.source), 9, true)} ${pad(String(row.plumb), 9, true)}  ${mark}`,
      );
    }
    lines.push(
      '  (not counted: model versions MLflow deleted softly — stage Deleted_Internal, never returned by its API — with their tags)',
    );
    lines.push(report.ok ? 'OK: every table matches.' : 'FAILED: some tables do not match (see MISMATCH above).');
  }
  return lines.join('\n');
}
