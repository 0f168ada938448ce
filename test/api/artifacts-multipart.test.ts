/**
 * Multipart uploads through the proxy, over real HTTP: `mpu/create` hands out part URLs on this
 * server, parts go up in any order, `mpu/complete` assembles them in part order and records the
 * whole object's sha256; `mpu/abort` and refused completions leave nothing visible.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { aRunRoot, encodePath, PROXY, sha256Hex, useArtifactApp } from '../helpers/artifact-client.ts';

interface Credential {
  url: string;
  part_number: number;
  headers?: Record<string, string>;
}

void describe('multipart uploads through the proxy', () => {
  const ctx = useArtifactApp({ listen: true });

  async function call(action: 'create' | 'complete' | 'abort', path: string, body: unknown) {
    const response = await fetch(`${ctx.baseUrl}${PROXY}/mpu/${action}/${encodePath(path)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, json: JSON.parse(text) as Record<string, unknown> };
  }

  async function create(path: string, parts: number): Promise<{ uploadId: string; credentials: Credential[] }> {
    const reply = await call('create', path, { path, num_parts: parts });
    assert.equal(reply.status, 200, reply.text);
    return { uploadId: reply.json.upload_id as string, credentials: reply.json.credentials as Credential[] };
  }

  async function putPart(credential: Credential, bytes: Buffer): Promise<string> {
    const response = await fetch(credential.url, { method: 'PUT', body: bytes, headers: credential.headers ?? {} });
    assert.equal(response.status, 200, await response.text());
    const etag = response.headers.get('etag');
    assert.ok(etag, 'a part upload answers an ETag');
    return etag;
  }

  const pendingUploads = () => {
    const work = join(ctx.root, '.plumb-uploads');
    return existsSync(work) ? readdirSync(work).filter((n) => n.startsWith('mpu-')) : [];
  };

  async function assertAbsent(path: string): Promise<void> {
    const download = await fetch(`${ctx.baseUrl}${PROXY}/artifacts/${encodePath(path)}`);
    assert.equal(download.status, 404, `${path} is visible: ${download.status}`);
    await download.arrayBuffer();
  }

  void it('create answers an upload id and one credential per part, each pointing back at this server', async () => {
    const { root } = await aRunRoot(ctx.api);
    const { uploadId, credentials } = await create(`${root}/big model.bin`, 3);
    assert.match(uploadId, /\S/);
    assert.deepEqual(
      credentials.map((c) => c.part_number),
      [1, 2, 3],
    );
    for (const credential of credentials) {
      const url = new URL(credential.url);
      assert.equal(url.origin, ctx.baseUrl, credential.url);
      assert.ok(url.pathname.startsWith(`${PROXY}/mpu/parts/`), credential.url);
      assert.equal(url.searchParams.get('upload_id'), uploadId);
      assert.equal(url.searchParams.get('part_number'), String(credential.part_number));
    }
    const aborted = await call('abort', `${root}/big model.bin`, {
      path: `${root}/big model.bin`,
      upload_id: uploadId,
    });
    assert.equal(aborted.status, 200, aborted.text);
  });

  void it('parts sent out of order assemble in part order, with the manifest sha256 of the whole', async () => {
    const { root } = await aRunRoot(ctx.api);
    const path = `${root}/model/weights.bin`;
    const parts = [randomBytes(1024 * 1024), randomBytes(512 * 1024 + 3), randomBytes(7)];
    const { uploadId, credentials } = await create(path, parts.length);
    const etags: string[] = [];
    for (const index of [2, 0, 1]) etags[index] = await putPart(credentials[index]!, parts[index]!);
    for (const [i, etag] of etags.entries()) {
      assert.equal(etag, `"${createHash('md5').update(parts[i]!).digest('hex')}"`, `ETag of part ${i + 1}`);
    }
    const completed = await call('complete', path, {
      path,
      upload_id: uploadId,
      parts: [1, 2, 0].map((i) => ({ part_number: i + 1, etag: etags[i], url: credentials[i]!.url })),
    });
    assert.equal(completed.status, 200, completed.text);
    assert.deepEqual(completed.json, {});

    const whole = Buffer.concat(parts);
    const download = await fetch(`${ctx.baseUrl}${PROXY}/artifacts/${encodePath(path)}?verify=true`);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('x-plumb-sha256'), sha256Hex(whole));
    assert.ok(Buffer.from(await download.arrayBuffer()).equals(whole), 'the object is not the parts in order');
    const entry = await ctx.api.test.app.store.artifactManifest.get(path as never);
    assert.equal(entry?.sha256, sha256Hex(whole));
    assert.equal(entry?.size, whole.length);
    assert.deepEqual(await ctx.artifacts.children(`${root}/model`), [
      { path: 'weights.bin', is_dir: false, file_size: whole.length },
    ]);
    assert.ok(!pendingUploads().includes(`mpu-${uploadId}`), 'the parts were not cleaned up');
  });

  void it('a re-sent part replaces the earlier one when completed with its new ETag', async () => {
    const { root } = await aRunRoot(ctx.api);
    const path = `${root}/retried.bin`;
    const { uploadId, credentials } = await create(path, 2);
    await putPart(credentials[0]!, Buffer.from('first try '));
    const first = await putPart(credentials[0]!, Buffer.from('second try '));
    const second = await putPart(credentials[1]!, Buffer.from('tail'));
    const completed = await call('complete', path, {
      path,
      upload_id: uploadId,
      parts: [
        { part_number: 1, etag: first },
        { part_number: 2, etag: second },
      ],
    });
    assert.equal(completed.status, 200, completed.text);
    assert.equal((await ctx.artifacts.get(path)).text, 'second try tail');
  });

  void it('abort leaves nothing: no object, no listing, no parts, and the upload cannot be completed', async () => {
    const { root } = await aRunRoot(ctx.api);
    const path = `${root}/aborted.bin`;
    const before = pendingUploads();
    const { uploadId, credentials } = await create(path, 2);
    const etag = await putPart(credentials[0]!, randomBytes(1000));
    await putPart(credentials[1]!, randomBytes(1000));
    const aborted = await call('abort', path, { path, upload_id: uploadId });
    assert.equal(aborted.status, 200, aborted.text);
    await assertAbsent(path);
    assert.deepEqual(await ctx.artifacts.children(root), []);
    assert.deepEqual(pendingUploads(), before);
    const late = await call('complete', path, { path, upload_id: uploadId, parts: [{ part_number: 1, etag }] });
    assert.equal(late.status, 404, late.text);
    assert.equal(late.json.error_code, 'RESOURCE_DOES_NOT_EXIST');
    await assertAbsent(path);
  });

  void it('completing with a wrong ETag, or a part never sent, is 400 and makes nothing visible', async () => {
    const { root } = await aRunRoot(ctx.api);
    const path = `${root}/wrong-etag.bin`;
    const { uploadId, credentials } = await create(path, 2);
    const etag1 = await putPart(credentials[0]!, Buffer.from('one'));
    const etag2 = await putPart(credentials[1]!, Buffer.from('two'));
    const wrong = [
      [
        { part_number: 1, etag: etag1 },
        { part_number: 2, etag: '"0123456789abcdef0123456789abcdef"' },
      ],
      [
        { part_number: 1, etag: etag2 },
        { part_number: 2, etag: etag1 },
      ],
      [
        { part_number: 1, etag: etag1 },
        { part_number: 3, etag: etag2 },
      ],
      [],
    ];
    for (const parts of wrong) {
      const reply = await call('complete', path, { path, upload_id: uploadId, parts });
      assert.equal(reply.status, 400, `${JSON.stringify(parts)}: ${reply.text}`);
      assert.equal(reply.json.error_code, 'INVALID_PARAMETER_VALUE');
      await assertAbsent(path);
    }
    // The upload is still there: the right parts complete it.
    const right = await call('complete', path, {
      path,
      upload_id: uploadId,
      parts: [
        { part_number: 1, etag: etag1 },
        { part_number: 2, etag: etag2 },
      ],
    });
    assert.equal(right.status, 200, right.text);
    assert.equal((await ctx.artifacts.get(path, '?verify=true')).text, 'onetwo');
  });

  void it('an upload id used for another path, or an unknown one, is 404', async () => {
    const { root } = await aRunRoot(ctx.api);
    const { uploadId, credentials } = await create(`${root}/a.bin`, 1);
    const elsewhere = credentials[0]!.url.replace(encodePath(`${root}/a.bin`), encodePath(`${root}/b.bin`));
    const response = await fetch(elsewhere, { method: 'PUT', body: 'x' });
    assert.equal(response.status, 404, await response.text());
    const unknown = await call('complete', `${root}/a.bin`, {
      path: `${root}/a.bin`,
      upload_id: '00000000-0000-0000-0000-000000000000',
      parts: [{ part_number: 1, etag: 'x' }],
    });
    assert.equal(unknown.status, 404, unknown.text);
    assert.ok(uploadId);
  });

  void it('num_parts must be given and from 1 to 10000', async () => {
    const { root } = await aRunRoot(ctx.api);
    for (const body of [{}, { num_parts: 0 }, { num_parts: 10_001 }, { num_parts: -1 }]) {
      const reply = await call('create', `${root}/n.bin`, body);
      assert.equal(reply.status, 400, `${JSON.stringify(body)}: ${reply.text}`);
      assert.equal(reply.json.error_code, 'INVALID_PARAMETER_VALUE');
    }
  });
});
