/**
 * `npm run bench:artifacts`: uploads and downloads one large file (5 GiB by default,
 * BENCH_ARTIFACT_GIB to change) through the artifact proxy of a real `plumb server` process on
 * local disk, and compares the throughput with a plain copy of the same file on the same disk.
 * Reports the server's peak RSS (VmHWM), which must stay flat: nothing is buffered whole.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { childEnv, freePort, PLUMB_BIN, sleep } from '../test/helpers/plumb-process.ts';

const GiB = 1024 ** 3;
const SIZE = Math.round(Number(process.env.BENCH_ARTIFACT_GIB ?? 5) * GiB);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? process.cwd(), '.bench-artifacts-'));
const source = join(dir, 'source.bin');

async function makeSource(): Promise<string> {
  const block = randomBytes(8 * 1024 * 1024);
  const hash = createHash('sha256');
  const file = await open(source, 'w');
  for (let written = 0; written < SIZE; written += block.length) {
    const chunk = block.subarray(0, Math.min(block.length, SIZE - written));
    // Vary each block so that nothing below (compression, dedupe) can make the copy cheaper.
    chunk.writeDoubleLE(written, 0);
    hash.update(chunk);
    await file.write(chunk);
  }
  await file.sync();
  await file.close();
  return hash.digest('hex');
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { seconds: (performance.now() - started) / 1000, result };
}

async function streamCopy(target: string): Promise<void> {
  await pipeline(
    createReadStream(source, { highWaterMark: 1024 * 1024 }),
    createWriteStream(target, { highWaterMark: 1024 * 1024 }),
  );
  const handle = await open(target, 'r+');
  await handle.sync();
  await handle.close();
}

function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

function upload(port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path,
        headers: { 'content-length': SIZE, 'content-type': 'application/octet-stream' },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`upload: HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    createReadStream(source, { highWaterMark: 1024 * 1024 }).pipe(req);
  });
}

function download(port: number, path: string, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`download: HTTP ${res.statusCode}`));
      const digest = String(res.headers['x-plumb-sha256'] ?? '');
      pipeline(res, createWriteStream(target)).then(() => resolve(digest), reject);
    })
      .on('error', reject)
      .end();
  });
}

const mbps = (seconds: number) => `${(SIZE / seconds / 1024 ** 2).toFixed(0)} MiB/s`;

try {
  console.log(`writing a ${(SIZE / GiB).toFixed(2)} GiB source file in ${dir} …`);
  const sourceSha = await makeSource();
  const copy = await timed(() => streamCopy(join(dir, 'copy-stream.bin')));
  rmSync(join(dir, 'copy-stream.bin'));
  const kernelCopy = await timed(() => copyFile(source, join(dir, 'copy-kernel.bin')));
  rmSync(join(dir, 'copy-kernel.bin'));

  const port = await freePort();
  const server = spawn(
    process.execPath,
    [
      PLUMB_BIN,
      'server',
      '--backend-store-uri',
      `sqlite:///${join(dir, 'mlruns.db')}`,
      '--artifacts-destination',
      join(dir, 'mlartifacts'),
      '--port',
      String(port),
    ],
    { cwd: dir, env: childEnv(), stdio: 'inherit' },
  );
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await sleep(50);
  }
  const idleRss = peakRss(server.pid!);
  const path = '/api/2.0/mlflow-artifacts/artifacts/0/bench/large.bin';
  const up = await timed(() => upload(port, path));
  const afterUpload = peakRss(server.pid!);
  const down = await timed(() => download(port, path, join(dir, 'downloaded.bin')));
  const peak = peakRss(server.pid!);
  server.kill('SIGTERM');
  const intact = statSync(join(dir, 'downloaded.bin')).size === SIZE && down.result === sourceSha;

  console.log(
    [
      `file: ${(SIZE / GiB).toFixed(2)} GiB`,
      `plain copy (stream + fsync): ${copy.seconds.toFixed(1)} s, ${mbps(copy.seconds)}`,
      `plain copy (kernel copy_file_range): ${kernelCopy.seconds.toFixed(1)} s, ${mbps(kernelCopy.seconds)}`,
      `upload through the proxy: ${up.seconds.toFixed(1)} s, ${mbps(up.seconds)} (${((copy.seconds / up.seconds) * 100).toFixed(0)}% of the stream copy)`,
      `download through the proxy: ${down.seconds.toFixed(1)} s, ${mbps(down.seconds)} (${((copy.seconds / down.seconds) * 100).toFixed(0)}% of the stream copy)`,
      `server peak RSS: idle ${(idleRss / 1024 ** 2).toFixed(0)} MiB, after upload ${(afterUpload / 1024 ** 2).toFixed(0)} MiB, after download ${(peak / 1024 ** 2).toFixed(0)} MiB`,
      `download intact (size and manifest sha256 match the source): ${intact}`,
    ].join('\n'),
  );
  if (!intact) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
