/**
 * Artifacts of a finished run are immutable: an existing path cannot be overwritten or deleted
 * (409 RESOURCE_CONFLICT), new paths can still be added (MLflow clients log artifacts after
 * `runs/update FINISHED`, see fixture 071), and PLUMB_ALLOW_OVERWRITE_FINISHED_RUNS=true opts out.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AJAX, type Api } from '../fixtures/builders.ts';
import {
  type ArtifactClient,
  type ArtifactReply,
  aRunRoot,
  assertArtifactError,
  assertStatus,
  encodePath,
  inject,
  PROXY,
  setRunStatus,
  sha256Hex,
  useArtifactApp,
} from '../helpers/artifact-client.ts';
import { openRequest, readResponse, writeAll } from '../helpers/raw-http.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function assertImmutable(reply: ArtifactReply, runId: string, status = 'FINISHED'): void {
  assertArtifactError(reply, 409, 'RESOURCE_CONFLICT');
  const message = reply.json.message ?? '';
  assert.ok(message.includes(runId), `the message names the run: ${message}`);
  assert.ok(message.includes(status), `the message names the status: ${message}`);
  assert.match(message, /immutable/);
  assert.match(message, /PLUMB_ALLOW_OVERWRITE_FINISHED_RUNS/);
}

async function assertStored(artifacts: ArtifactClient, path: string, content: string): Promise<void> {
  const download = await artifacts.get(path, '?verify=true');
  assertStatus(download, 200);
  assert.equal(download.text, content);
  assert.equal(download.header('x-plumb-sha256'), sha256Hex(content));
}

/** A run with `files` uploaded while RUNNING, then moved to `status`. */
async function endedRunWith(api: Api, artifacts: ArtifactClient, files: Record<string, string>, status = 'FINISHED') {
  const run = await aRunRoot(api);
  for (const [name, content] of Object.entries(files)) {
    assertStatus(await artifacts.put(`${run.root}/${name}`, content), 200);
  }
  await setRunStatus(api, run.runId, status);
  return run;
}

void describe('immutability of finished runs', () => {
  const ctx = useArtifactApp({ listen: true });

  void it('a RUNNING run can overwrite and delete its artifacts', async () => {
    const { root } = await aRunRoot(ctx.api);
    assertStatus(await ctx.artifacts.put(`${root}/a.txt`, 'one'), 200);
    assertStatus(await ctx.artifacts.put(`${root}/a.txt`, 'two'), 200);
    await assertStored(ctx.artifacts, `${root}/a.txt`, 'two');
    assertStatus(await ctx.artifacts.delete(`${root}/a.txt`), 200);
    assertArtifactError(await ctx.artifacts.get(`${root}/a.txt`), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  void it('overwriting an artifact of a FINISHED, FAILED or KILLED run is 409 and keeps the stored bytes', async () => {
    for (const status of ['FINISHED', 'FAILED', 'KILLED']) {
      const run = await endedRunWith(ctx.api, ctx.artifacts, { 'model.pkl': 'trained weights' }, status);
      const path = `${run.root}/model.pkl`;
      assertImmutable(await ctx.artifacts.put(path, 'tampered weights'), run.runId, status);
      await assertStored(ctx.artifacts, path, 'trained weights');
      assert.equal(readFileSync(join(ctx.root, path), 'utf8'), 'trained weights');
    }
  });

  void it('adding new paths to a finished run is allowed, including names that extend an existing one', async () => {
    const run = await endedRunWith(ctx.api, ctx.artifacts, { 'model.pkl': 'w', 'dir/x.txt': 'x' });
    for (const name of ['new.txt', 'model', 'model.pkl.bak', 'dir2/y.txt', 'dir/new.txt']) {
      assertStatus(await ctx.artifacts.put(`${run.root}/${name}`, name), 200);
      await assertStored(ctx.artifacts, `${run.root}/${name}`, name);
    }
    // ... and once added, they are as immutable as the rest.
    assertImmutable(await ctx.artifacts.put(`${run.root}/new.txt`, 'again'), run.runId);
  });

  void it('DELETE of an artifact, or of a directory holding artifacts, of a finished run is 409', async () => {
    const run = await endedRunWith(ctx.api, ctx.artifacts, { 'keep.txt': 'keep', 'dir/a.txt': 'a' });
    assertImmutable(await ctx.artifacts.delete(`${run.root}/keep.txt`), run.runId);
    assertImmutable(await ctx.artifacts.delete(`${run.root}/dir`), run.runId);
    await assertStored(ctx.artifacts, `${run.root}/keep.txt`, 'keep');
    await assertStored(ctx.artifacts, `${run.root}/dir/a.txt`, 'a');
  });

  void it('replacing a directory of a finished run by a file is refused and leaves the directory', async () => {
    const run = await endedRunWith(ctx.api, ctx.artifacts, { 'dir/a.txt': 'a' });
    const reply = await ctx.artifacts.put(`${run.root}/dir`, 'file now');
    assertArtifactError(reply, 409, 'RESOURCE_CONFLICT');
    await assertStored(ctx.artifacts, `${run.root}/dir/a.txt`, 'a');
  });

  void it('the UI upload-artifact route and multipart uploads obey the same rule', async () => {
    const run = await endedRunWith(ctx.api, ctx.artifacts, { 'ui.txt': 'original' });
    const viaUi = await inject(ctx.api, {
      method: 'POST',
      url: `${AJAX}/upload-artifact?run_uuid=${run.runId}&path=ui.txt`,
      payload: 'tampered',
      headers: { 'content-type': 'text/plain' },
    });
    assertImmutable(viaUi, run.runId);
    const viaMultipart = await inject(ctx.api, {
      method: 'POST',
      url: `${PROXY}/mpu/create/${encodePath(`${run.root}/ui.txt`)}`,
      payload: { path: `${run.root}/ui.txt`, num_parts: 1 },
    });
    assertImmutable(viaMultipart, run.runId);
    await assertStored(ctx.artifacts, `${run.root}/ui.txt`, 'original');
  });

  void it('two racing uploads of one new path to a finished run: one is stored, the other is refused', async () => {
    const run = await endedRunWith(ctx.api, ctx.artifacts, {});
    const path = `${run.root}/race.bin`;
    const bodies = [Buffer.alloc(1_000_000, 'a'), Buffer.alloc(1_000_000, 'b')];
    const sockets = await Promise.all(
      bodies.map((body) =>
        openRequest(ctx.baseUrl, 'PUT', `${PROXY}/artifacts/${encodePath(path)}`, {
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(body.length),
        }),
      ),
    );
    const responses = sockets.map((socket) => readResponse(socket, 20_000));
    // Both are past their checks and streaming before either completes.
    await Promise.all(sockets.map((socket, i) => writeAll(socket, bodies[i]!.subarray(0, 500_000))));
    await sleep(300);
    await writeAll(sockets[0]!, bodies[0]!.subarray(500_000));
    const first = await responses[0]!;
    await writeAll(sockets[1]!, bodies[1]!.subarray(500_000));
    const second = await responses[1]!;
    assert.equal(first.status, 200, first.text);
    assert.equal(
      second.status,
      409,
      `the later upload overwrote a finished run's artifact: ${second.status} ${second.text}`,
    );
    await assertStored(ctx.artifacts, path, bodies[0]!.toString());
  });
});

void describe('PLUMB_ALLOW_OVERWRITE_FINISHED_RUNS=true', () => {
  const ctx = useArtifactApp({ env: { PLUMB_ALLOW_OVERWRITE_FINISHED_RUNS: 'true' } });

  void it('lets a finished run overwrite and delete its artifacts', async () => {
    const run = await endedRunWith(ctx.api, ctx.artifacts, { 'a.txt': 'one', 'b.txt': 'b' });
    assertStatus(await ctx.artifacts.put(`${run.root}/a.txt`, 'two'), 200);
    await assertStored(ctx.artifacts, `${run.root}/a.txt`, 'two');
    assertStatus(await ctx.artifacts.delete(`${run.root}/b.txt`), 200);
    assertArtifactError(await ctx.artifacts.get(`${run.root}/b.txt`), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});
