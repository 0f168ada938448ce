import { createInterface } from 'node:readline/promises';
import type { DoctorGroup, Finding, RepairOutcome, Severity } from '../doctor/finding.ts';

/** How `plumb doctor` shows its report: text for people, JSON (`--json`) for automation. */

export interface GroupedFinding extends Finding {
  readonly group: DoctorGroup;
}

export interface DoctorReport {
  readonly groups: readonly DoctorGroup[];
  /** One line per group about what was looked at (the database, the store). */
  readonly targets: Readonly<Partial<Record<DoctorGroup, string>>>;
  readonly findings: readonly GroupedFinding[];
  readonly repairs: readonly RepairOutcome[];
  /** Set when --fix was given but nothing was repaired, and why. */
  readonly fixNote?: string | undefined;
}

const LABEL: Record<Severity, string> = { error: 'ERROR  ', warning: 'WARNING', info: 'info   ' };

export function counts(report: DoctorReport): Record<Severity, number> & { repaired: number } {
  const repaired = repairedIds(report);
  const open = report.findings.filter((f) => !repaired.has(f.id));
  return {
    error: open.filter((f) => f.severity === 'error').length,
    warning: open.filter((f) => f.severity === 'warning').length,
    info: open.filter((f) => f.severity === 'info').length,
    repaired: report.findings.length - open.length,
  };
}

export function repairedIds(report: Pick<DoctorReport, 'repairs'>): Set<string> {
  return new Set(report.repairs.filter((r) => r.repaired).map((r) => r.findingId));
}

/** 1 when an error-severity finding is left unrepaired, else 0. */
export function exitCodeOf(report: DoctorReport): number {
  return counts(report).error > 0 ? 1 : 0;
}

export function renderText(report: DoctorReport): string {
  const repaired = repairedIds(report);
  const lines: string[] = [];
  for (const group of report.groups) {
    lines.push(`[${group}]${report.targets[group] ? ` ${report.targets[group]}` : ''}`);
    const findings = report.findings.filter((f) => f.group === group);
    if (findings.length === 0) lines.push('  ok     nothing to report');
    for (const finding of findings) {
      const mark = repaired.has(finding.id) ? ' (repaired)' : '';
      lines.push(`  ${LABEL[finding.severity]} ${finding.id}${mark}: ${finding.summary}`);
      if (finding.where) {
        const more = finding.where.count - finding.where.items.length;
        lines.push(`           where: ${finding.where.scope} (${finding.where.count})`);
        for (const item of finding.where.items) lines.push(`             - ${item}`);
        if (more > 0) lines.push(`             … and ${more} more`);
      }
      lines.push(`           repair${finding.fixable ? ' (--fix)' : ''}: ${finding.repair}`);
    }
    lines.push('');
  }
  if (report.repairs.length > 0) {
    lines.push('Repairs:');
    for (const r of report.repairs) lines.push(`  ${r.repaired ? 'done  ' : 'FAILED'} ${r.findingId}: ${r.done}`);
    lines.push('');
  }
  if (report.fixNote) lines.push(report.fixNote, '');
  const c = counts(report);
  lines.push(
    `${c.error} error${c.error === 1 ? '' : 's'}, ${c.warning} warning${c.warning === 1 ? '' : 's'}, ${c.info} info${c.repaired > 0 ? `, ${c.repaired} repaired` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

export function renderJson(report: DoctorReport): string {
  const repaired = repairedIds(report);
  return `${JSON.stringify(
    {
      format: 'plumb-doctor-report',
      version: 1,
      groups: report.groups,
      targets: report.targets,
      findings: report.findings.map((f) => ({ ...f, repaired: repaired.has(f.id) })),
      repairs: report.repairs,
      fixNote: report.fixNote,
      counts: counts(report),
      exitCode: exitCodeOf(report),
    },
    null,
    2,
  )}\n`;
}

/**
 * A status line on stderr, redrawn in place at most every 100 ms. Off (a no-op) when stderr is
 * not a terminal or the output is JSON, so logs and pipes stay clean.
 */
export function progressLine(enabled: boolean, stream: NodeJS.WriteStream = process.stderr) {
  let last = 0;
  let shown = false;
  return {
    update(status: string): void {
      if (!enabled || Date.now() - last < 100) return;
      last = Date.now();
      shown = true;
      stream.write(`\r\u001b[2K${status.slice(0, (stream.columns ?? 100) - 1)}`);
    },
    clear(): void {
      if (enabled && shown) stream.write('\r\u001b[2K');
      shown = false;
    },
  };
}

/** Asks on the terminal; true only for an explicit yes. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(y|yes)$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `24h`, `7d` → milliseconds; undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)$/.exec(text.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return Math.round(Number(match[1]) * (UNITS[match[2]] ?? Number.NaN));
}
