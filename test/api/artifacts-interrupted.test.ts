/**
 * Invariant 5, broken uploads: a client that goes away mid-upload leaves nothing visible — no
 * listed file, no download, no manifest record, no temp file in the `.plumb-uploads` work dir —
 * and the server keeps serving. The disconnects go to a real `plumb server` process, so a crash
 * shows as a dead process rather than as an error inside the test runner.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  aRunRoot,
  assertArtifactError,
  encodePath,
  PROXY,
  sha256Hex,
  useArtifactApp,
} from '../helpers/artifact-client.ts';
import { type ServerProcess, sleep, startServerProcess } from '../helpers/plumb-process.ts';
import { openRequest, readResponse, writeAll } from '../helpers/raw-http.ts';

const SIZE = 4 * 1024 * 1024;
const CUTS = 30;

void describe('interrupted uploads to a plumb server process', () => {
  let dir: string;
  let server: ServerProcess;
  let root: string;
  const body = randomBytes(SIZE);
  const workDir = () => join(dir, 'mlartifacts', '.plumb-uploads');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-interrupted-'));
    server = await startServerProcess({ dbPath: join(dir, 'mlruns.db'), dir });
    const created = await fetch(`${server.baseUrl}/api/2.0/mlflow/runs/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_id: '0' }),
    });
    const run = ((await created.json()) as { run: { info: { run_id: string } } }).run.info;
    root = `0/${run.run_id}/artifacts`;
  });
  /**
   * Each test starts on a live server: one that died in an earlier test (which failed for it) is
   * started again on the same database and store, with the temp files its death left cleared, so
   * every test judges only its own uploads.
   */
  beforeEach(async () => {
    if (await isAlive()) return;
    await server.kill();
    rmSync(workDir(), { recursive: true, force: true });
    server = await startServerProcess({ dbPath: join(dir, 'mlruns.db'), dir });
  });
  after(async () => {
    await server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  async function isAlive(): Promise<boolean> {
    const health = await fetch(`${server.baseUrl}/health`).catch(() => undefined);
    return health?.ok === true;
  }

  const target = (name: string) => `${PROXY}/artifacts/${encodePath(`${root}/${name}`)}`;

  async function alive(context: string): Promise<void> {
    const health = await fetch(`${server.baseUrl}/health`).catch((error: unknown) => error as Error);
    assert.ok(
      !(health instanceof Error) && health.ok,
      `the server is gone after ${context}: ${health instanceof Error ? health.message : health.status}\n${server.output().slice(-3000)}`,
    );
  }

  /** Waits (bounded) for the work dir to empty: cleanup after a disconnect is asynchronous. */
  async function workDirEntries(): Promise<string[]> {
    let entries: string[] = [];
    for (let i = 0; i < 50; i++) {
      entries = existsSync(workDir()) ? readdirSync(workDir()) : [];
      if (entries.length === 0) break;
      await sleep(100);
    }
    return entries;
  }

  async function assertNothingOf(names: readonly string[]): Promise<void> {
    const listed = await fetch(`${server.baseUrl}${PROXY}/artifacts?path=${encodeURIComponent(root)}`);
    const files = ((await listed.json()) as { files?: { path: string }[] }).files ?? [];
    const visible = files.filter((f) => names.includes(f.path)).map((f) => f.path);
    assert.deepEqual(visible, [], 'interrupted uploads are listed');
    for (const name of names) {
      const download = await fetch(`${server.baseUrl}${target(name)}?verify=true`);
      const text = await download.text();
      assert.equal(download.status, 404, `${name} is downloadable: ${text.slice(0, 200)}`);
      assert.match(text, /no manifest record/, `${name}: ${text}`);
    }
    assert.deepEqual(await workDirEntries(), [], 'temp files are left in the work dir');
  }

  void it(`${CUTS} uploads cut off at random points leave nothing behind and the server keeps serving`, async () => {
    const names: string[] = [];
    const cuts: number[] = [];
    for (let i = 0; i < CUTS; i++) {
      // Even uploads stop early (within the first 256 KiB, the connection dropped at once, while the
      // server is still setting the upload up); odd ones anywhere in the body, once it was sent.
      const early = i % 2 === 0;
      const cut = i === 0 ? 0 : i === 1 ? SIZE - 1 : Math.floor(Math.random() * (early ? 256 * 1024 : SIZE));
      const name = `cut-${i}.bin`;
      names.push(name);
      cuts.push(cut);
      const socket = await openRequest(server.baseUrl, 'PUT', target(name), {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(SIZE),
      });
      if (early) socket.write(body.subarray(0, cut));
      else {
        await writeAll(socket, body.subarray(0, cut));
        await sleep(i % 3 === 0 ? 0 : 15);
      }
      socket.destroy();
      await sleep(20);
      await alive(`a disconnect after ${cut} of ${SIZE} bytes (upload ${i}; cuts so far ${cuts.join(', ')})`);
    }
    await assertNothingOf(names);
    await alive('all the disconnects');
  });

  void it('a chunked upload cut off midway leaves nothing', async () => {
    const socket = await openRequest(server.baseUrl, 'PUT', target('chunked.bin'), {
      'Content-Type': 'application/octet-stream',
      'Transfer-Encoding': 'chunked',
    });
    await writeAll(socket, Buffer.concat([Buffer.from('100000\r\n'), body.subarray(0, 0x100000), Buffer.from('\r\n')]));
    await sleep(20);
    socket.destroy();
    await alive('a cut chunked upload');
    await assertNothingOf(['chunked.bin']);
  });

  void it('a body shorter than its content-length, then a half-closed connection, is not stored', async () => {
    const socket = await openRequest(server.baseUrl, 'PUT', target('short.bin'), {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(SIZE),
    });
    const response = readResponse(socket, 10_000);
    await writeAll(socket, body.subarray(0, SIZE / 2));
    socket.end();
    const reply = await response;
    assert.ok(reply.status === 0 || reply.status >= 400, `a short body was answered ${reply.status}: ${reply.text}`);
    await alive('a half-closed short upload');
    await assertNothingOf(['short.bin']);
  });

  void it('after all that, a complete upload is stored, verified and recorded', async () => {
    const put = await fetch(`${server.baseUrl}${target('complete.bin')}`, { method: 'PUT', body });
    assert.equal(put.status, 200, await put.text());
    const download = await fetch(`${server.baseUrl}${target('complete.bin')}?verify=true`);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('x-plumb-sha256'), sha256Hex(body));
    assert.ok(Buffer.from(await download.arrayBuffer()).equals(body));
  });

  void it('the database manifest holds the complete upload only', async () => {
    await server.kill('SIGTERM');
    const db = new Database(join(dir, 'mlruns.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT path, size, sha256 FROM artifact_manifest ORDER BY path').all();
      assert.deepEqual(rows, [{ path: `${root}/complete.bin`, size: SIZE, sha256: sha256Hex(body) }]);
    } finally {
      db.close();
    }
  });
});

void describe('a body shorter than its content-length (inject)', () => {
  const ctx = useArtifactApp();

  void it('is refused with 400 INVALID_PARAMETER_VALUE and nothing is stored', async () => {
    const { root } = await aRunRoot(ctx.api);
    const reply = await ctx.artifacts.put(`${root}/short.bin`, 'abc', { 'content-length': '10' });
    assertArtifactError(reply, 400, 'INVALID_PARAMETER_VALUE', /\b3\b.*\b10\b/);
    // Let any stray stream error surface inside this test rather than a later one.
    await sleep(50);
    assertArtifactError(await ctx.artifacts.get(`${root}/short.bin`), 404, 'RESOURCE_DOES_NOT_EXIST');
    assert.deepEqual(await ctx.artifacts.children(root), []);
    const work = join(ctx.root, '.plumb-uploads');
    assert.deepEqual(existsSync(work) ? readdirSync(work) : [], []);
  });
});
