/**
 * ONNX serving load test (issue #11): `plumb models serve` as its own process on a linear ONNX model
 * (built here, 16 features → 4 outputs), hammered over keep-alive HTTP by concurrent clients posting
 * `{"inputs": [[…16 floats…]]}` (one row) and `dataframe_split` batches of 100 rows. Reports
 * requests/s and p50/p99 latency per shape.
 *
 * BENCH_SERVING_SECONDS  seconds per shape (default 10)
 * BENCH_SERVING_CLIENTS  concurrent clients (default 16)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { linearOnnxModel } from '../test/models/onnx-builder.ts';
import { int, ms, percentile, type TableRow, table } from './util.ts';

const FEATURES = 16;
const OUTPUTS = 4;

export interface ServingShape {
  readonly label: string;
  readonly clients: number;
  readonly seconds: number;
  readonly requests: number;
  readonly errors: number;
  readonly requestsPerSecond: number;
  readonly latency: { readonly p50: number; readonly p99: number };
}

export interface ServingResult {
  readonly shapes: readonly ServingShape[];
}

function modelDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-bench-onnx-'));
  const weights = Array.from({ length: FEATURES }, (_, i) => Array.from({ length: OUTPUTS }, (_, j) => (i - j) / 10));
  writeFileSync(join(dir, 'model.onnx'), linearOnnxModel(weights, [0.1, 0.2, 0.3, 0.4]));
  writeFileSync(
    join(dir, 'MLmodel'),
    [
      'flavors:',
      '  onnx: {data: model.onnx}',
      'signature:',
      `  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, ${FEATURES}]}}]'`,
      '',
    ].join('\n'),
  );
  return dir;
}

/** Starts `plumb models serve` on a free port and resolves with its URL once it listens. */
async function startServing(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, '../bin/plumb.js'), 'models', 'serve', '-m', dir, '--port', '0'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = / at (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`plumb models serve exited (${code}): ${output}`)));
  });
  return { url, child };
}

async function hammer(
  url: string,
  label: string,
  body: string,
  clients: number,
  seconds: number,
): Promise<ServingShape> {
  const samples: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const started = performance.now();
      try {
        const response = await fetch(`${url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await response.arrayBuffer();
        if (response.status === 200) samples.push(performance.now() - started);
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  const elapsed = (performance.now() - started) / 1000;
  samples.sort((a, b) => a - b);
  return {
    label,
    clients,
    seconds: elapsed,
    requests: samples.length,
    errors,
    requestsPerSecond: samples.length / elapsed,
    latency: { p50: percentile(samples, 50), p99: percentile(samples, 99) },
  };
}

export async function measureServing(progress: (message: string) => void): Promise<ServingResult> {
  const seconds = Number(process.env.BENCH_SERVING_SECONDS ?? 10);
  const clients = Number(process.env.BENCH_SERVING_CLIENTS ?? 16);
  const dir = modelDir();
  const { url, child } = await startServing(dir);
  try {
    const row = (i: number) => Array.from({ length: FEATURES }, (_, j) => ((i * 7 + j) % 13) / 13);
    const one = JSON.stringify({ inputs: [row(1)] });
    const batch = JSON.stringify({
      dataframe_split: {
        columns: Array.from({ length: FEATURES }, (_, j) => `f${j}`),
        data: Array.from({ length: 100 }, (_, i) => row(i)),
      },
    });
    await hammer(url, 'warm-up', one, 2, 1);
    progress(`ONNX serving: 1 row per request, ${clients} clients, ${seconds} s`);
    const single = await hammer(url, 'inputs, 1 row', one, clients, seconds);
    progress(`ONNX serving: 100 rows per request, ${clients} clients, ${seconds} s`);
    const hundred = await hammer(url, 'dataframe_split, 100 rows', batch, clients, seconds);
    return { shapes: [single, hundred] };
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

export function servingTable(result: ServingResult): string {
  const rows: TableRow[] = [
    {
      heading: true,
      cells: [`ONNX serving: plumb models serve, linear ${FEATURES}→${OUTPUTS}`, 'requests/s', 'p50', 'p99', 'errors'],
    },
    ...result.shapes.map((s) => ({
      cells: [
        `${s.label}, ${s.clients} clients`,
        int(s.requestsPerSecond),
        ms(s.latency.p50),
        ms(s.latency.p99),
        int(s.errors),
      ],
    })),
  ];
  return `== ONNX model serving ==\n${table(rows, ['left', 'right', 'right', 'right', 'right'])}`;
}

// `node --import tsx bench/serving.ts` runs this section alone.
if (import.meta.filename === process.argv[1]) {
  const result = await measureServing((m) => process.stderr.write(`[bench] ${m}\n`));
  console.log(servingTable(result));
}
