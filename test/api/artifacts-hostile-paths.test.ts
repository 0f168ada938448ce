/**
 * Invariant 8: artifact paths never escape the artifact root. Every hostile path below goes over a
 * raw socket (the request target byte for byte: no client normalises `..` away) to PUT, GET and
 * DELETE on the proxy — right after `artifacts/` and under a run's root — to the proxy's list, and
 * as `path` of artifacts/list, get-artifact and upload-artifact (both verbatim in the query and
 * percent-encoded once more). Each must be a 4xx: never a 5xx, never a 2xx. Afterwards nothing may
 * have been created or changed outside the artifact root, nor inside it.
 *
 * Drive letters and URI schemes (`C:/x`, `file:/etc/passwd`) are hostile where a path starts; in the
 * middle of one (`<run root>/C:/x`) they are ordinary POSIX names, as MLflow's validate_path_is_safe
 * also treats them. Overlong UTF-8 (`%c0%ae`) decodes to nothing at all, not to '.', in any
 * decoder in use; those names are covered as harmless in artifacts-symlinks.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { AJAX, API } from '../fixtures/builders.ts';
import { aRunRoot, assertStatus, PROXY, type RunRoot, useArtifactApp } from '../helpers/artifact-client.ts';
import { diffTrees, snapshotTree, type TreeSnapshot, topLevelNames } from '../helpers/fs-snapshot.ts';
import { type RawResponse, rawRequest } from '../helpers/raw-http.ts';

interface Hostile {
  /** Written verbatim into the request target (so `%2e` is sent as `%2e`). */
  readonly raw: string;
  /** Only hostile at the store's root (the reserved work dir), not under a run's root. */
  readonly storeRootOnly?: boolean;
  /** Only hostile at the start of a path (absolute, drive, URI forms). */
  readonly anchored?: boolean;
}

const LONG = `${'d/'.repeat(2_499)}xy`;

const HOSTILE: readonly Hostile[] = [
  { raw: '..' },
  { raw: '../x' },
  { raw: 'a/../../x' },
  { raw: 'a/..' },
  { raw: 'x/../' },
  { raw: '../../../../../../../../tmp/x' },
  { raw: '%2e%2e' },
  { raw: '%2e%2e/x' },
  { raw: '%2E%2E%2Fx' },
  { raw: '.%2e/x' },
  { raw: '%2e./x' },
  { raw: '%252e%252e%252fx' },
  { raw: '%25252e%25252e/x' },
  { raw: '..%2fx' },
  { raw: '..%252fx' },
  { raw: '..%5cx' },
  { raw: '..\\x' },
  // Encoded dots next to an invalid escape: a lenient decoder (Python's unquote) still yields `..`.
  { raw: '%252e%252e/%25c0x' },
  { raw: '%252e%252e%252f%25c0x' },
  { raw: '/etc/passwd' },
  { raw: '%2fetc%2fpasswd' },
  { raw: 'C:/x', anchored: true },
  { raw: 'C:\\x' },
  { raw: 'C:x', anchored: true },
  { raw: '\\\\server\\share\\x' },
  { raw: 'file:///etc/passwd' },
  { raw: 'file:/etc/passwd', anchored: true },
  { raw: 'file%3A%2F%2F%2Fetc%2Fpasswd' },
  { raw: 's3://bucket/x' },
  { raw: 'https://evil.example/x' },
  { raw: 'x%00.txt' },
  { raw: 'x\u0000y' },
  { raw: 'x%0d%0aSet-Cookie:%20a=b' },
  { raw: 'x%09y' },
  { raw: 'x#frag' },
  { raw: 'x%23frag' },
  { raw: 'x%3Fquery' },
  { raw: 'a//b' },
  { raw: '....//x' },
  { raw: './a' },
  { raw: 'a/./b' },
  { raw: 'a/.' },
  { raw: '.' },
  { raw: '.plumb-uploads', storeRootOnly: true },
  { raw: '.plumb-uploads/x', storeRootOnly: true },
  { raw: '%2eplumb-uploads/x', storeRootOnly: true },
  { raw: LONG },
];

const label = (raw: string) => JSON.stringify(raw.length > 60 ? `${raw.slice(0, 30)}…(${raw.length} chars)` : raw);

/** Every name a hostile path could create somewhere: each segment of each decoded form. */
function namesIn(raw: string): string[] {
  const forms = [raw];
  for (let i = 0; i < 4; i++) {
    try {
      forms.push(decodeURIComponent(forms.at(-1)!));
    } catch {
      break;
    }
  }
  return forms.flatMap((f) => f.split(/[/\\#?]/)).filter((s) => s !== '' && s !== '.' && s !== '..');
}

const sha256OfFile = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

void describe('hostile artifact paths', () => {
  const ctx = useArtifactApp({ listen: true });
  let run: RunRoot;
  let sentinel: string;
  let tree: TreeSnapshot;
  let tmpNames: Set<string>;
  let cwdNames: Set<string>;
  let passwd: string;
  const suspectNames = new Set(HOSTILE.flatMap((h) => namesIn(h.raw)));

  before(async () => {
    run = await aRunRoot(ctx.api);
    // Something legitimate in the store, so a traversal has something to reach and overwrite.
    assertStatus(await ctx.artifacts.put(`${run.root}/a/b`, 'inside'), 200);
    assertStatus(await ctx.artifacts.put(`${run.root}/x`, 'inside x'), 200);
    mkdirSync(join(ctx.dir, 'outside'), { recursive: true });
    sentinel = join(ctx.dir, 'outside', 'sentinel.txt');
    writeFileSync(sentinel, 'do not touch');
    writeFileSync(join(ctx.dir, 'x'), 'sibling of the root');
    tree = snapshotTree(ctx.dir, (rel) => rel.startsWith('mlruns.db'));
    tmpNames = topLevelNames(tmpdir());
    cwdNames = topLevelNames(process.cwd());
    passwd = sha256OfFile('/etc/passwd');
  });

  /** Sends each request, collecting every answer that is not a 4xx. */
  async function expect4xx(requests: readonly [string, () => Promise<RawResponse>][]): Promise<void> {
    const failures: string[] = [];
    for (const [what, send] of requests) {
      const reply = await send();
      if (reply.status < 400 || reply.status > 499) {
        failures.push(`${what} → ${reply.status || 'no answer'} ${reply.text.slice(0, 160)}`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${requests.length} requests were not refused with a 4xx`);
  }

  const send = (method: string, target: string, body?: string) => () =>
    rawRequest(ctx.baseUrl, method, target, body === undefined ? {} : { body });

  void it('the table holds at least 35 hostile paths', () => {
    assert.ok(HOSTILE.length >= 35, `${HOSTILE.length}`);
    assert.equal(LONG.length, 5_000);
  });

  void it('proxy PUT, GET and DELETE refuse each, right after artifacts/ and under a run root', async () => {
    const requests: [string, () => Promise<RawResponse>][] = [];
    for (const { raw, storeRootOnly, anchored } of HOSTILE) {
      const targets = [`${PROXY}/artifacts/${raw}`];
      if (!storeRootOnly && !anchored) targets.push(`${PROXY}/artifacts/${run.root}/${raw}`);
      for (const target of targets) {
        const where = target.includes(run.runId) ? 'under run' : 'at root';
        requests.push([`PUT ${where} ${label(raw)}`, send('PUT', target, 'pwned')]);
        requests.push([`GET ${where} ${label(raw)}`, send('GET', target)]);
        requests.push([`GET ?verify ${where} ${label(raw)}`, send('GET', `${target}?verify=true`)]);
        requests.push([`DELETE ${where} ${label(raw)}`, send('DELETE', target)]);
      }
    }
    await expect4xx(requests);
  });

  void it('the proxy list (?path=) refuses each, verbatim and encoded once more', async () => {
    const requests: [string, () => Promise<RawResponse>][] = [];
    for (const { raw, storeRootOnly } of HOSTILE) {
      // Encoded once more, the reserved name is a different literal name ('%2eplumb-uploads').
      for (const value of storeRootOnly ? [raw] : [raw, encodeURIComponent(raw)]) {
        requests.push([`list ${label(value)}`, send('GET', `${PROXY}/artifacts?path=${value}`)]);
      }
    }
    await expect4xx(requests);
  });

  void it('artifacts/list, get-artifact and upload-artifact refuse each as path', async () => {
    const requests: [string, () => Promise<RawResponse>][] = [];
    for (const { raw, storeRootOnly } of HOSTILE) {
      if (storeRootOnly) continue; // under a run's root the name is an ordinary one
      for (const value of [raw, encodeURIComponent(raw)]) {
        const query = `run_id=${run.runId}&path=${value}`;
        requests.push([`artifacts/list ${label(value)}`, send('GET', `${API}/artifacts/list?${query}`)]);
        requests.push([`get-artifact ${label(value)}`, send('GET', `/get-artifact?${query}`)]);
        requests.push([`ajax get-artifact ${label(value)}`, send('GET', `${AJAX}/get-artifact?${query}`)]);
        requests.push([
          `upload-artifact ${label(value)}`,
          send('POST', `${AJAX}/upload-artifact?run_uuid=${run.runId}&path=${value}`, 'pwned'),
        ]);
      }
    }
    await expect4xx(requests);
  });

  void it('multipart create refuses each', async () => {
    const requests: [string, () => Promise<RawResponse>][] = [];
    for (const { raw } of HOSTILE) {
      const body = JSON.stringify({ path: raw, num_parts: 1 });
      requests.push([
        `mpu/create ${label(raw)}`,
        () =>
          rawRequest(ctx.baseUrl, 'POST', `${PROXY}/mpu/create/${raw}`, {
            body,
            headers: { 'Content-Type': 'application/json' },
          }),
      ]);
    }
    await expect4xx(requests);
  });

  void it('nothing was created or changed: not beside the root, not in it, not in the temp dir, not in /etc', () => {
    assert.equal(readFileSync(sentinel, 'utf8'), 'do not touch');
    assert.deepEqual(
      diffTrees(
        tree,
        snapshotTree(ctx.dir, (rel) => rel.startsWith('mlruns.db')),
      ),
      [],
    );
    const newInTmp = [...topLevelNames(tmpdir())].filter((n) => !tmpNames.has(n) && suspectNames.has(n));
    assert.deepEqual(newInTmp, [], 'new entries in the temp dir named like a hostile path');
    const newInCwd = [...topLevelNames(process.cwd())].filter((n) => !cwdNames.has(n) && suspectNames.has(n));
    assert.deepEqual(newInCwd, [], 'new entries in the working directory named like a hostile path');
    assert.equal(sha256OfFile('/etc/passwd'), passwd);
  });

  void it('the server still serves the legitimate files', async () => {
    assert.equal((await ctx.artifacts.get(`${run.root}/a/b`)).text, 'inside');
    assert.equal((await ctx.artifacts.get(`${run.root}/x`, '?verify=true')).text, 'inside x');
  });
});
