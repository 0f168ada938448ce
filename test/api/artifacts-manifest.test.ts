/**
 * Invariant 5 (verified artifacts): every completed upload is recorded with its size and sha256,
 * downloads carry the recorded digest only while storage still holds that object, and
 * `?verify=true` turns a silent corruption into DATA_LOSS.
 *
 * What happens to a stored file changed behind the server's back (same size, other bytes):
 * - its mtime changed (an ordinary write): the storage ETag no longer matches the record, so a
 *   plain download sends the new bytes WITHOUT Repr-Digest / X-Plumb-Sha256;
 * - its mtime was kept (bit rot, a restore that preserves times): the ETag still matches, so a plain
 *   download sends the corrupt bytes WITH the recorded digest, which the bytes do not match, and a
 *   client checking the digest detects it;
 * - either way `?verify=true` reads the object first and answers 500 DATA_LOSS, sending no bytes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ArtifactPath } from '../../src/core/artifact-path.ts';
import {
  aRunRoot,
  assertArtifactError,
  assertStatus,
  reprDigest,
  sha256Hex,
  useArtifactApp,
} from '../helpers/artifact-client.ts';

/** Same length, every byte different. */
const flipped = (bytes: Buffer) => Buffer.from(bytes.map((b) => b ^ 0xff));

void describe('artifact manifest and verify', () => {
  const ctx = useArtifactApp();
  const manifest = () => ctx.api.test.app.store.artifactManifest;
  const onDisk = (path: string) => join(ctx.root, path);

  async function uploaded(name: string, bytes: Buffer): Promise<string> {
    const { root } = await aRunRoot(ctx.api);
    const path = `${root}/${name}`;
    assertStatus(await ctx.artifacts.put(path, bytes), 200);
    return path;
  }

  void it('records the size and sha256 of each upload, shown in the download headers and by verify', async () => {
    const bytes = randomBytes(123_457);
    const path = await uploaded('data/table.parquet', bytes);
    const entry = await manifest().get(path as ArtifactPath);
    assert.ok(entry, 'no manifest record after the upload');
    assert.equal(entry.size, bytes.length);
    assert.equal(entry.sha256, sha256Hex(bytes));
    assert.equal(entry.runId, path.split('/')[1]);
    for (const query of ['', '?verify=true']) {
      const download = await ctx.artifacts.get(path, query);
      assertStatus(download, 200);
      assert.ok(download.bytes.equals(bytes));
      assert.equal(download.header('x-plumb-sha256'), sha256Hex(bytes));
      assert.equal(download.header('repr-digest'), reprDigest(bytes));
      assert.equal(download.header('content-length'), String(bytes.length));
    }
  });

  void it('an overwrite (running run) replaces the record', async () => {
    const path = await uploaded('v.txt', Buffer.from('version one'));
    assertStatus(await ctx.artifacts.put(path, 'version two, longer'), 200);
    const entry = await manifest().get(path as ArtifactPath);
    assert.equal(entry?.sha256, sha256Hex('version two, longer'));
    assert.equal(entry?.size, 19);
    const download = await ctx.artifacts.get(path, '?verify=true');
    assertStatus(download, 200);
    assert.equal(download.header('x-plumb-sha256'), sha256Hex('version two, longer'));
  });

  void it('a file rewritten behind the server (same size, new mtime): verify is DATA_LOSS, plain GET drops the digest', async () => {
    const bytes = randomBytes(4096);
    const path = await uploaded('model.bin', bytes);
    const file = onDisk(path);
    const before = statSync(file);
    writeFileSync(file, flipped(bytes));
    const later = new Date(before.mtimeMs + 5_000);
    utimesSync(file, later, later);
    assert.equal(statSync(file).size, bytes.length);

    const verified = await ctx.artifacts.get(path, '?verify=true');
    assertArtifactError(verified, 500, 'DATA_LOSS', /does not match its manifest record/);
    assert.ok(verified.json.message?.includes(sha256Hex(bytes)), 'the message names the recorded sha256');
    assert.ok(!verified.bytes.includes(flipped(bytes).subarray(0, 64)), 'corrupt bytes were sent');

    const plain = await ctx.artifacts.get(path);
    assertStatus(plain, 200);
    assert.ok(plain.bytes.equals(flipped(bytes)));
    assert.equal(plain.header('x-plumb-sha256'), undefined, 'a digest of other bytes was sent');
    assert.equal(plain.header('repr-digest'), undefined, 'a digest of other bytes was sent');
  });

  void it('bit rot that keeps the mtime: verify is DATA_LOSS, plain GET sends the recorded digest the bytes fail', async () => {
    const bytes = randomBytes(4096);
    const path = await uploaded('rotten.bin', bytes);
    const file = onDisk(path);
    const { mtimeMs } = statSync(file);
    writeFileSync(file, flipped(bytes));
    // Back to the same whole millisecond (the ETag's resolution); +0.5 ms keeps float rounding off the edge.
    const kept = (Math.floor(mtimeMs) + 0.5) / 1000;
    utimesSync(file, kept, kept);
    assert.equal(Math.floor(statSync(file).mtimeMs), Math.floor(mtimeMs));

    assertArtifactError(await ctx.artifacts.get(path, '?verify=true'), 500, 'DATA_LOSS');
    const plain = await ctx.artifacts.get(path);
    assertStatus(plain, 200);
    assert.equal(plain.header('x-plumb-sha256'), sha256Hex(bytes));
    assert.notEqual(sha256Hex(plain.bytes), plain.header('x-plumb-sha256'), 'the client can detect the corruption');
  });

  void it('a truncated file: verify is DATA_LOSS naming both sizes, plain GET has no digest', async () => {
    const bytes = randomBytes(10_000);
    const path = await uploaded('cut.bin', bytes);
    writeFileSync(onDisk(path), bytes.subarray(0, 6_000));
    const verified = await ctx.artifacts.get(path, '?verify=true');
    assertArtifactError(verified, 500, 'DATA_LOSS', /6000 bytes.*10000 bytes/);
    const plain = await ctx.artifacts.get(path);
    assertStatus(plain, 200);
    assert.equal(plain.bytes.length, 6_000);
    assert.equal(plain.header('content-length'), '6000');
    assert.equal(plain.header('x-plumb-sha256'), undefined);
  });

  void it('a file with no manifest record: verify is 404, a plain GET serves it without a digest', async () => {
    const { root } = await aRunRoot(ctx.api);
    mkdirSync(onDisk(root), { recursive: true });
    writeFileSync(onDisk(`${root}/dropped-in.txt`), 'placed by hand');
    const verified = await ctx.artifacts.get(`${root}/dropped-in.txt`, '?verify=true');
    assertArtifactError(verified, 404, 'RESOURCE_DOES_NOT_EXIST', /no manifest record/);
    const plain = await ctx.artifacts.get(`${root}/dropped-in.txt`);
    assertStatus(plain, 200);
    assert.equal(plain.text, 'placed by hand');
    assert.equal(plain.header('x-plumb-sha256'), undefined);
    assert.equal(plain.header('repr-digest'), undefined);
  });

  void it('verify of a missing file is 404', async () => {
    const { root } = await aRunRoot(ctx.api);
    assertArtifactError(await ctx.artifacts.get(`${root}/never.txt`, '?verify=true'), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  void it('DELETE removes the records of a file and of everything under a directory', async () => {
    const { root } = await aRunRoot(ctx.api);
    for (const name of ['a.txt', 'dir/b.txt', 'dir/sub/c.txt', 'dirx.txt']) {
      assertStatus(await ctx.artifacts.put(`${root}/${name}`, name), 200);
    }
    assertStatus(await ctx.artifacts.delete(`${root}/a.txt`), 200);
    assertStatus(await ctx.artifacts.delete(`${root}/dir`), 200);
    const left = (await manifest().listUnder(root as ArtifactPath)).map((e) => e.path);
    assert.deepEqual(left, [`${root}/dirx.txt`], 'only the sibling that merely shares a prefix is left');
    // Re-uploading a deleted path records afresh.
    assertStatus(await ctx.artifacts.put(`${root}/a.txt`, 'again'), 200);
    assert.equal((await manifest().get(`${root}/a.txt` as ArtifactPath))?.sha256, sha256Hex('again'));
  });

  void it('a refused upload records nothing and leaves the previous record and bytes alone', async () => {
    const { root } = await aRunRoot(ctx.api);
    assertStatus(await ctx.artifacts.put(`${root}/f`, 'original'), 200);
    assertStatus(await ctx.artifacts.put(`${root}/f/child`, 'x'), 400);
    assert.equal(await manifest().get(`${root}/f/child` as ArtifactPath), undefined);
    assert.equal((await manifest().get(`${root}/f` as ArtifactPath))?.sha256, sha256Hex('original'));
    assert.equal(readFileSync(onDisk(`${root}/f`), 'utf8'), 'original');
  });
});
