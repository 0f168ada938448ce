/**
 * The files `npm run bench` leaves under bench/results/: the whole run as JSON (every number, for
 * comparing runs by script) and a short Markdown page (the printed tables and the goals of issue
 * #6 checked against this run's numbers).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

export interface Goal {
  readonly engine: string;
  readonly goal: string;
  readonly measured: string;
  /** undefined when this run did not measure it. */
  readonly met: boolean | undefined;
}

export interface BenchRun {
  readonly startedAt: string;
  readonly seconds: number;
  readonly settings: Readonly<Record<string, unknown>>;
  /** Each engine's report, or why it was skipped or failed. */
  readonly engines: readonly unknown[];
  /** The tables as printed. */
  readonly text: string;
  readonly goals: readonly Goal[];
  /** The ONNX serving load test (bench/serving.ts). */
  readonly serving?: unknown;
}

function commitOf(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function markdown(run: BenchRun, commit: string): string {
  const verdict = (g: Goal) => (g.met === undefined ? 'not measured' : g.met ? 'met' : '**not met**');
  return [
    `# plumb bench, ${run.startedAt}`,
    '',
    `Commit ${commit}, Node ${process.versions.node}, ${cpus().length} cores, load average at the end ` +
      `${loadavg()[0]!.toFixed(1)}, ${run.seconds.toFixed(0)} s. Settings: \`${JSON.stringify(run.settings)}\`.`,
    '',
    '## Goals',
    '',
    '| engine | goal | measured | |',
    '| --- | --- | --- | --- |',
    ...run.goals.map((g) => `| ${g.engine} | ${g.goal} | ${g.measured} | ${verdict(g)} |`),
    '',
    '## Tables',
    '',
    '```',
    run.text.trimEnd(),
    '```',
    '',
  ].join('\n');
}

/** Writes `<stamp>-<commit>.json` and `.md` under `dir`; returns their paths. */
export function writeReport(run: BenchRun, dir: string): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const commit = commitOf();
  const base = join(dir, `${run.startedAt.replace(/[:.]/g, '-')}-${commit}`);
  const paths = { json: `${base}.json`, markdown: `${base}.md` };
  writeFileSync(paths.json, `${JSON.stringify({ commit, node: process.versions.node, ...run }, null, 2)}\n`);
  writeFileSync(paths.markdown, markdown(run, commit));
  return paths;
}
