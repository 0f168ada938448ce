/**
 * Invariant 8, continued: symbolic links inside the artifact root that point outside it are never
 * followed (reads are 404, writes 400, deletes refused), and names that merely look like dots are
 * ordinary names kept inside the root.
 *
 * Unicode dot lookalikes (U+FF0E '．', U+2024 '․', U+2025 '‥') are allowed on purpose: POSIX
 * filesystems and Node's path functions treat only U+002E as a dot and no layer here applies NFKC
 * (which would turn U+FF0E into '.'); they are stored under their literal names inside the root.
 * The same holds for overlong UTF-8 (`%c0%ae`), which no decoder in use turns into '.': sent once
 * encoded the router cannot decode it (400); sent as a literal name it is stored under that name.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { AJAX, API } from '../fixtures/builders.ts';
import { aRunRoot, assertStatus, encodePath, PROXY, type RunRoot, useArtifactApp } from '../helpers/artifact-client.ts';
import { diffTrees, snapshotTree, type TreeSnapshot } from '../helpers/fs-snapshot.ts';
import { type RawResponse, rawRequest } from '../helpers/raw-http.ts';

const SECRET = 'do not touch';

void describe('symbolic links and lookalike names', () => {
  const ctx = useArtifactApp({ listen: true });
  let run: RunRoot;
  let outside: string;
  let outsideTree: TreeSnapshot;
  let links: Record<string, string>;

  before(async () => {
    run = await aRunRoot(ctx.api);
    assertStatus(await ctx.artifacts.put(`${run.root}/real.txt`, 'real'), 200);
    outside = join(ctx.dir, 'outside');
    mkdirSync(join(outside, 'sub'), { recursive: true });
    writeFileSync(join(outside, 'sentinel.txt'), SECRET);
    writeFileSync(join(outside, 'sub', 'deep.txt'), SECRET);
    const runDir = join(ctx.root, run.root);
    links = {
      [`${run.root}/link-dir`]: outside,
      [`${run.root}/link-file`]: join(outside, 'sentinel.txt'),
      [`${run.root}/link-rel`]: '../../../../outside',
      'link-top': outside,
    };
    for (const [path, target] of Object.entries(links)) symlinkSync(target, join(ctx.root, path));
    assert.equal(readFileSync(join(runDir, 'link-rel', 'sentinel.txt'), 'utf8'), SECRET, 'the links do lead out');
    outsideTree = snapshotTree(outside);
  });

  const send = (method: string, path: string, body?: string): Promise<RawResponse> =>
    rawRequest(ctx.baseUrl, method, `${PROXY}/artifacts/${encodePath(path)}`, body === undefined ? {} : { body });

  function assertUntouched(): void {
    assert.deepEqual(diffTrees(outsideTree, snapshotTree(outside)), [], 'the directory outside the root changed');
    for (const [path, target] of Object.entries(links)) {
      assert.equal(readlinkSync(join(ctx.root, path)), target, `${path} was replaced or removed`);
    }
  }

  void it('GET through a link is 404 and shows nothing of what is outside', async () => {
    const paths = [
      `${run.root}/link-dir/sentinel.txt`,
      `${run.root}/link-dir/sub/deep.txt`,
      `${run.root}/link-file`,
      `${run.root}/link-rel/sentinel.txt`,
      'link-top/sentinel.txt',
    ];
    for (const path of paths) {
      for (const query of ['', '?verify=true']) {
        const reply = await rawRequest(ctx.baseUrl, 'GET', `${PROXY}/artifacts/${encodePath(path)}${query}`);
        assert.equal(reply.status, 404, `GET ${path}${query}: ${reply.status} ${reply.text}`);
        assert.ok(!reply.text.includes(SECRET), `GET ${path} leaked the file`);
      }
    }
    for (const path of ['link-dir/sentinel.txt', 'link-file', 'link-rel/sub/deep.txt']) {
      const reply = await rawRequest(ctx.baseUrl, 'GET', `/get-artifact?run_id=${run.runId}&path=${path}`);
      assert.equal(reply.status, 404, `get-artifact ${path}: ${reply.status} ${reply.text}`);
      assert.ok(!reply.text.includes(SECRET));
    }
  });

  void it('listing through a link, or the directory holding links, shows nothing outside', async () => {
    for (const path of [`${run.root}/link-dir`, `${run.root}/link-rel/sub`, 'link-top']) {
      const reply = await rawRequest(ctx.baseUrl, 'GET', `${PROXY}/artifacts?path=${encodeURIComponent(path)}`);
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(JSON.parse(reply.text), {}, `list ${path}`);
    }
    const tracking = await rawRequest(ctx.baseUrl, 'GET', `${API}/artifacts/list?run_id=${run.runId}&path=link-dir`);
    assert.equal(tracking.status, 200, tracking.text);
    assert.ok(!tracking.text.includes('sentinel'), tracking.text);
    const root = (await ctx.artifacts.children(run.root)).map((f) => f.path);
    assert.deepEqual(root, ['real.txt'], 'links are not listed as files or directories');
  });

  void it('PUT through a link is 400 and writes nothing outside', async () => {
    const paths = [
      `${run.root}/link-dir/new.txt`,
      `${run.root}/link-dir/sentinel.txt`,
      `${run.root}/link-dir/sub/deep.txt`,
      `${run.root}/link-file`,
      `${run.root}/link-rel/new.txt`,
      'link-top/new.txt',
      'link-top',
    ];
    for (const path of paths) {
      const reply = await send('PUT', path, 'pwned');
      assert.equal(reply.status, 400, `PUT ${path}: ${reply.status} ${reply.text}`);
      assert.match(JSON.parse(reply.text).message as string, /symbolic link/);
    }
    for (const path of ['link-dir/new.txt', 'link-file']) {
      const reply = await rawRequest(
        ctx.baseUrl,
        'POST',
        `${AJAX}/upload-artifact?run_uuid=${run.runId}&path=${path}`,
        {
          body: 'pwned',
        },
      );
      assert.equal(reply.status, 400, `upload-artifact ${path}: ${reply.status} ${reply.text}`);
    }
    const mpu = await rawRequest(ctx.baseUrl, 'POST', `${PROXY}/mpu/create/${run.root}/link-dir/big.bin`, {
      body: JSON.stringify({ path: `${run.root}/link-dir/big.bin`, num_parts: 1 }),
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(mpu.status, 400, `mpu/create through a link: ${mpu.status} ${mpu.text}`);
    assertUntouched();
  });

  void it('DELETE through a link, or of the link itself, is refused and removes nothing', async () => {
    const paths = [
      `${run.root}/link-dir/sentinel.txt`,
      `${run.root}/link-dir/sub`,
      `${run.root}/link-dir`,
      `${run.root}/link-file`,
      `${run.root}/link-rel/sentinel.txt`,
      'link-top',
    ];
    const answers = [];
    for (const path of paths) answers.push(`${path} → ${(await send('DELETE', path)).status}`);
    assertUntouched();
    assert.deepEqual(
      answers.filter((a) => !/→ 4\d\d$/.test(a)),
      [],
      'a DELETE through a symbolic link answered as if it had deleted something',
    );
  });

  void it('unicode dot lookalikes and literal overlong escapes are plain names stored inside the root', async () => {
    const names = ['\uff0e\uff0e/x', '\u2024\u2024/x', '\u2025/x', '...', '..../x', '..;/x'];
    for (const name of names) {
      const path = `${run.root}/${name}`;
      assertStatus(await ctx.artifacts.put(path, `literal ${name}`), 200);
      assert.equal(readFileSync(join(ctx.root, path), 'utf8'), `literal ${name}`, `${name} is not where it says`);
      assert.equal((await ctx.artifacts.get(path, '?verify=true')).text, `literal ${name}`);
    }
    const undecodable = await rawRequest(ctx.baseUrl, 'PUT', `${PROXY}/artifacts/${run.root}/%c0%ae%c0%ae/x`, {
      body: 'overlong',
    });
    assert.equal(undecodable.status, 400, undecodable.text);
    const literal = await rawRequest(ctx.baseUrl, 'PUT', `${PROXY}/artifacts/${run.root}/%25c0%25ae%25c0%25ae/x`, {
      body: 'overlong',
    });
    assert.equal(literal.status, 200, literal.text);
    assert.equal(readFileSync(join(ctx.root, run.root, '%c0%ae%c0%ae', 'x'), 'utf8'), 'overlong');
    assert.deepEqual(
      readdirSync(ctx.dir).sort(),
      ['mlartifacts', 'outside', ...readdirSync(ctx.dir).filter((n) => n.startsWith('mlruns.db'))].sort(),
      'nothing appeared beside the root',
    );
    assertUntouched();
  });
});
