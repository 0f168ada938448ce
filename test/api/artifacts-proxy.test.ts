/** The proxied artifact routes (`/api/2.0/mlflow-artifacts/artifacts/...`): upload, download, list, delete. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  aRunRoot,
  assertArtifactError,
  assertStatus,
  reprDigest,
  sha256Hex,
  useArtifactApp,
} from '../helpers/artifact-client.ts';

/** RFC 6266: the name a client saves the download as (`filename*` wins over `filename`). */
function dispositionName(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (extended) return decodeURIComponent(extended[1]!.trim());
  return /filename\s*=\s*(?:"([^"]*)"|([^;]+))/i
    .exec(header)
    ?.slice(1)
    .find((v) => v !== undefined);
}

void describe('artifact proxy', () => {
  const ctx = useArtifactApp();

  void it('PUT then GET returns exactly the bytes uploaded, binary included', async () => {
    const { root } = await aRunRoot(ctx.api);
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(200_000)]);
    assertStatus(await ctx.artifacts.put(`${root}/weights.bin`, bytes), 200);
    const download = await ctx.artifacts.get(`${root}/weights.bin`);
    assertStatus(download, 200);
    assert.ok(download.bytes.equals(bytes), 'downloaded bytes differ from the upload');
    assert.equal(download.header('content-type'), 'application/octet-stream');
  });

  void it('an upload answers {} as MLflow does', async () => {
    const { root } = await aRunRoot(ctx.api);
    const reply = await ctx.artifacts.put(`${root}/a.txt`, 'a');
    assertStatus(reply, 200);
    assert.deepEqual(reply.json, {});
    assert.match(reply.header('content-type') ?? '', /application\/json/);
  });

  void it('an empty file round-trips with content-length 0 and the sha256 of nothing', async () => {
    const { root } = await aRunRoot(ctx.api);
    assertStatus(await ctx.artifacts.put(`${root}/empty.txt`, Buffer.alloc(0)), 200);
    const download = await ctx.artifacts.get(`${root}/empty.txt`);
    assertStatus(download, 200);
    assert.equal(download.bytes.length, 0);
    assert.equal(download.header('content-length'), '0');
    assert.equal(download.header('x-plumb-sha256'), sha256Hex(''));
    assert.deepEqual(await ctx.artifacts.children(root), [{ path: 'empty.txt', is_dir: false, file_size: 0 }]);
  });

  void it('download headers: attachment with the file name, nosniff, length and the digest of the bytes', async () => {
    const { root } = await aRunRoot(ctx.api);
    const text = 'hello artifact\n';
    assertStatus(await ctx.artifacts.put(`${root}/docs/hello.txt`, text, { 'content-type': 'text/plain' }), 200);
    const download = await ctx.artifacts.get(`${root}/docs/hello.txt`);
    assertStatus(download, 200);
    assert.equal(download.text, text);
    assert.match(download.header('content-type') ?? '', /^text\/plain/);
    assert.match(download.header('content-disposition') ?? '', /^attachment;/);
    assert.equal(dispositionName(download.header('content-disposition')), 'hello.txt');
    assert.equal(download.header('x-content-type-options'), 'nosniff');
    assert.equal(download.header('content-length'), String(Buffer.byteLength(text)));
    assert.equal(download.header('repr-digest'), reprDigest(text));
    assert.equal(download.header('x-plumb-sha256'), sha256Hex(text));
  });

  void it('an HTML file downloads from the proxy as an attachment with nosniff, never to be rendered', async () => {
    const { root } = await aRunRoot(ctx.api);
    const html = '<script>alert(document.cookie)</script>';
    assertStatus(await ctx.artifacts.put(`${root}/report.html`, html, { 'content-type': 'text/html' }), 200);
    const download = await ctx.artifacts.get(`${root}/report.html`);
    assertStatus(download, 200);
    assert.equal(download.text, html);
    assert.match(download.header('content-disposition') ?? '', /^attachment;/);
    assert.equal(download.header('x-content-type-options'), 'nosniff');
  });

  void it('a .json file uploaded as application/json is stored as raw bytes, not parsed', async () => {
    const { root } = await aRunRoot(ctx.api);
    const cases = {
      'odd-spacing.json': '{ "b" : 2,\n  "a":[1,2.50] }\n',
      'not-json.json': '{"unterminated": ',
      'a-string.json': '"{\\"nested\\": true}"',
      'empty.json': '',
    };
    for (const [name, body] of Object.entries(cases)) {
      const put = await ctx.artifacts.put(`${root}/${name}`, body, { 'content-type': 'application/json' });
      assertStatus(put, 200);
      const download = await ctx.artifacts.get(`${root}/${name}`);
      assertStatus(download, 200);
      assert.equal(download.text, body, `${name} was changed on its way through`);
      assert.match(download.header('content-type') ?? '', /^application\/json/);
      assert.equal(download.header('x-plumb-sha256'), sha256Hex(body));
    }
  });

  void it('nested directories are created on upload and listed level by level', async () => {
    const { root } = await aRunRoot(ctx.api);
    assertStatus(await ctx.artifacts.put(`${root}/model/MLmodel`, 'artifact_path: model\n'), 200);
    assertStatus(await ctx.artifacts.put(`${root}/model/data/deep/er/w.bin`, randomBytes(10)), 200);
    assertStatus(await ctx.artifacts.put(`${root}/top.txt`, '12345'), 200);
    assert.deepEqual(await ctx.artifacts.children(root), [
      { path: 'model', is_dir: true },
      { path: 'top.txt', is_dir: false, file_size: 5 },
    ]);
    assert.deepEqual(await ctx.artifacts.children(`${root}/model`), [
      { path: 'MLmodel', is_dir: false, file_size: 21 },
      { path: 'data', is_dir: true },
    ]);
    assert.deepEqual(await ctx.artifacts.children(`${root}/model/data/deep/er`), [
      { path: 'w.bin', is_dir: false, file_size: 10 },
    ]);
    assertStatus(await ctx.artifacts.get(`${root}/model/data/deep/er/w.bin`), 200);
  });

  void it('names with spaces and unicode round-trip and are listed by those names', async () => {
    const { root } = await aRunRoot(ctx.api);
    const names = ['my file.txt', 'données/résumé ü.txt', '日本語/データ 1.csv', 'emoji 🚀.bin', 'per%cent 100%.txt'];
    for (const [i, name] of names.entries()) {
      assertStatus(await ctx.artifacts.put(`${root}/${name}`, `content ${i}`), 200);
    }
    assert.deepEqual(
      (await ctx.artifacts.children(root)).map((f) => f.path),
      ['données', 'emoji 🚀.bin', 'my file.txt', 'per%cent 100%.txt', '日本語'],
    );
    assert.deepEqual(await ctx.artifacts.children(`${root}/日本語`), [
      { path: 'データ 1.csv', is_dir: false, file_size: 9 },
    ]);
    // Stored under the decoded name, once: no double decoding, no percent-encoded file names on disk.
    assert.deepEqual(readdirSync(join(ctx.root, root, 'données')), ['résumé ü.txt']);
    assert.ok(existsSync(join(ctx.root, root, 'per%cent 100%.txt')));
  });

  void it('files whose names are not Latin-1 download with a valid header (RFC 6266 filename*), not a 500', async () => {
    const { root } = await aRunRoot(ctx.api);
    for (const name of ['日本語.txt', 'emoji 🚀.bin', 'résumé.txt']) {
      assertStatus(await ctx.artifacts.put(`${root}/${name}`, 'x'), 200);
      const download = await ctx.artifacts.get(`${root}/${name}`);
      assertStatus(download, 200);
      assert.equal(download.text, 'x');
      assert.match(download.header('content-disposition') ?? '', /^attachment;/);
      // Header values are bytes; anything outside ASCII must go out percent-encoded as filename*.
      assert.match(download.header('content-disposition') ?? '', /^[\x20-\x7e]*$/, 'non-ASCII header value');
      assert.equal(dispositionName(download.header('content-disposition')), name);
    }
  });

  void it('a file name with a quote cannot break out of the content-disposition header', async () => {
    const { root } = await aRunRoot(ctx.api);
    assertStatus(await ctx.artifacts.put(`${root}/a"; filename=evil.html`, 'x'), 200);
    const download = await ctx.artifacts.get(`${root}/a"; filename=evil.html`);
    assertStatus(download, 200);
    // The whole name stays one quoted string (the quote neutralised), so no second parameter appears.
    const name = dispositionName(download.header('content-disposition'));
    assert.notEqual(name, 'evil.html');
    assert.match(name ?? '', /^a.; filename=evil\.html$/);
  });

  void it('GET artifacts?path= lists immediate children with base names, is_dir and file_size', async () => {
    const { root } = await aRunRoot(ctx.api);
    assertStatus(await ctx.artifacts.put(`${root}/docs/hello.txt`, 'hello artifact\n'), 200);
    assertStatus(await ctx.artifacts.put(`${root}/docs/sub/x.txt`, 'x'), 200);
    const reply = await ctx.artifacts.list(`${root}/docs`);
    assertStatus(reply, 200);
    assert.deepEqual(
      [...(reply.json.files ?? [])].sort((a, b) => a.path.localeCompare(b.path)),
      [
        { path: 'hello.txt', is_dir: false, file_size: 15 },
        { path: 'sub', is_dir: true },
      ],
    );
  });

  void it('listing a file or a missing directory answers {}', async () => {
    const { root } = await aRunRoot(ctx.api);
    assertStatus(await ctx.artifacts.put(`${root}/file.txt`, 'x'), 200);
    for (const path of [`${root}/file.txt`, `${root}/missing`, '999999/nope']) {
      const reply = await ctx.artifacts.list(path);
      assertStatus(reply, 200);
      assert.deepEqual(reply.json, {}, `listing ${path}`);
    }
  });

  void it("listing the store's root shows experiments but never the uploads work dir", async () => {
    const { experimentId, root } = await aRunRoot(ctx.api);
    assertStatus(await ctx.artifacts.put(`${root}/x.txt`, 'x'), 200);
    assert.ok(existsSync(join(ctx.root, '.plumb-uploads')), 'the work dir exists after an upload');
    for (const path of [undefined, '']) {
      const names = (await ctx.artifacts.list(path)).json.files?.map((f) => f.path) ?? [];
      assert.ok(names.includes(experimentId), `root listing: ${names.join(', ')}`);
      assert.ok(!names.includes('.plumb-uploads'), `root listing shows the work dir: ${names.join(', ')}`);
    }
  });

  void it('a missing file, or a directory, is 404 RESOURCE_DOES_NOT_EXIST', async () => {
    const { root } = await aRunRoot(ctx.api);
    assertStatus(await ctx.artifacts.put(`${root}/dir/in.txt`, 'x'), 200);
    assertArtifactError(await ctx.artifacts.get(`${root}/nope.txt`), 404, 'RESOURCE_DOES_NOT_EXIST');
    assertArtifactError(await ctx.artifacts.get(`${root}/dir`), 404, 'RESOURCE_DOES_NOT_EXIST');
    assertArtifactError(await ctx.artifacts.get(`${root}/dir/in.txt/more`), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  void it('DELETE removes a file, and a directory with everything below it', async () => {
    const { root } = await aRunRoot(ctx.api);
    for (const path of ['keep.txt', 'gone.txt', 'tree/a.txt', 'tree/b/c.txt']) {
      assertStatus(await ctx.artifacts.put(`${root}/${path}`, path), 200);
    }
    const deleted = await ctx.artifacts.delete(`${root}/gone.txt`);
    assertStatus(deleted, 200);
    assert.deepEqual(deleted.json, {});
    assertArtifactError(await ctx.artifacts.get(`${root}/gone.txt`), 404, 'RESOURCE_DOES_NOT_EXIST');
    assertStatus(await ctx.artifacts.delete(`${root}/tree`), 200);
    assertArtifactError(await ctx.artifacts.get(`${root}/tree/b/c.txt`), 404, 'RESOURCE_DOES_NOT_EXIST');
    assert.deepEqual(await ctx.artifacts.children(root), [{ path: 'keep.txt', is_dir: false, file_size: 8 }]);
    assert.equal((await ctx.artifacts.get(`${root}/keep.txt`)).text, 'keep.txt');
  });

  void it('a file where a directory is needed, or the reverse, is a 400, not a 500', async () => {
    const { root } = await aRunRoot(ctx.api);
    assertStatus(await ctx.artifacts.put(`${root}/f`, 'file'), 200);
    assertStatus(await ctx.artifacts.put(`${root}/d/inner.txt`, 'inner'), 200);
    assertArtifactError(await ctx.artifacts.put(`${root}/f/child.txt`, 'x'), 400, 'INVALID_PARAMETER_VALUE');
    assertArtifactError(await ctx.artifacts.put(`${root}/d`, 'x'), 400, 'INVALID_PARAMETER_VALUE');
    assert.equal((await ctx.artifacts.get(`${root}/f`)).text, 'file');
    assert.equal((await ctx.artifacts.get(`${root}/d/inner.txt`)).text, 'inner');
  });
});
