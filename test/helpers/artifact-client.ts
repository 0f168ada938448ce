/**
 * Helpers for the artifact API tests: a client for the proxied artifact routes over
 * `app.http.inject()` (binary-safe, unlike `Api.raw`, which reads bodies as text), a run whose
 * proxied artifact root is known, and an app that can also listen on a real port.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { InjectOptions } from 'fastify';
import { Api, aRunInNewExperiment, assertOk, type RunOverrides } from '../fixtures/builders.ts';
import { createTestApp, type TestApp } from './test-server.ts';

export const PROXY = '/api/2.0/mlflow-artifacts';

export const sha256Hex = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
/** The RFC 9530 `Repr-Digest` value of `bytes`. */
export const reprDigest = (bytes: Buffer | string) =>
  `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`;

/** Percent-encodes each segment, keeping the slashes: a path as a client puts it in a URL. */
export const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export interface ArtifactFile {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export interface ArtifactBody {
  error_code?: string;
  message?: string;
  files?: ArtifactFile[];
  root_uri?: string;
  upload_id?: string;
  credentials?: { url: string; part_number: number; headers?: Record<string, string> }[];
}

export interface ArtifactReply {
  readonly status: number;
  readonly bytes: Buffer;
  readonly text: string;
  readonly json: ArtifactBody;
  readonly headers: Record<string, string | string[] | number | undefined>;
  header(name: string): string | undefined;
}

export async function inject(api: Api, options: InjectOptions): Promise<ArtifactReply> {
  const response = await api.test.app.http.inject(options);
  const bytes = response.rawPayload;
  let json: ArtifactBody = {};
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object') json = parsed as ArtifactBody;
  } catch {
    // a file's bytes, not JSON
  }
  const headers = response.headers;
  return {
    status: response.statusCode,
    bytes,
    text: bytes.toString('utf8'),
    json,
    headers,
    header: (name) => {
      const value = headers[name.toLowerCase()];
      return value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : String(value);
    },
  };
}

export function assertStatus(reply: { status: number; text: string }, status: number): void {
  assert.equal(reply.status, status, `expected ${status}, got ${reply.status}: ${reply.text.slice(0, 500)}`);
}

export function assertArtifactError(reply: ArtifactReply, status: number, code: string, message?: RegExp): void {
  assertStatus(reply, status);
  assert.match(reply.header('content-type') ?? '', /application\/json/);
  assert.equal(reply.json.error_code, code, reply.text);
  assert.equal(typeof reply.json.message, 'string');
  if (message) assert.match(reply.json.message ?? '', message);
}

/** The mlflow-artifacts routes, with paths relative to the artifact store's root. */
export class ArtifactClient {
  constructor(readonly api: Api) {}

  put(path: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<ArtifactReply> {
    return inject(this.api, {
      method: 'PUT',
      url: `${PROXY}/artifacts/${encodePath(path)}`,
      payload: body,
      headers: { 'content-type': 'application/octet-stream', ...headers },
    });
  }

  get(path: string, query = ''): Promise<ArtifactReply> {
    return inject(this.api, { method: 'GET', url: `${PROXY}/artifacts/${encodePath(path)}${query}` });
  }

  delete(path: string): Promise<ArtifactReply> {
    return inject(this.api, { method: 'DELETE', url: `${PROXY}/artifacts/${encodePath(path)}` });
  }

  list(path?: string): Promise<ArtifactReply> {
    const query = path === undefined ? '' : `?path=${encodeURIComponent(path)}`;
    return inject(this.api, { method: 'GET', url: `${PROXY}/artifacts${query}` });
  }

  /** Names in a directory listing, with their kind and size, sorted by name. */
  async children(path: string): Promise<ArtifactFile[]> {
    const reply = await this.list(path);
    assertStatus(reply, 200);
    return [...(reply.json.files ?? [])].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

/** A run and its artifact root inside the store (`<experiment>/<run>/artifacts`). */
export interface RunRoot {
  readonly experimentId: string;
  readonly runId: string;
  readonly artifactUri: string;
  readonly root: string;
}

export async function aRunRoot(api: Api, overrides: RunOverrides = {}): Promise<RunRoot> {
  const run = await aRunInNewExperiment(api, overrides);
  const match = /^mlflow-artifacts:\/(.*)$/.exec(run.info.artifact_uri);
  assert.ok(match, `not a proxied artifact URI: ${run.info.artifact_uri}`);
  const root = match[1]!;
  assert.equal(root, `${run.info.experiment_id}/${run.info.run_id}/artifacts`);
  return { experimentId: run.info.experiment_id, runId: run.info.run_id, artifactUri: run.info.artifact_uri, root };
}

export async function setRunStatus(api: Api, runId: string, status: string): Promise<void> {
  assertOk(await api.post('runs/update', { run_id: runId, status, end_time: Date.now() }));
}

export interface ArtifactContext {
  readonly api: Api;
  readonly artifacts: ArtifactClient;
  /** The temp dir holding the database and the artifact root. */
  readonly dir: string;
  /** The artifact store's root on disk. */
  readonly root: string;
  /** `http://127.0.0.1:<port>` when opened with `listen: true`. */
  readonly baseUrl: string;
}

/** One fresh app for a describe block, optionally listening on a real port as well. */
export function useArtifactApp(options: { env?: Record<string, string>; listen?: boolean } = {}): ArtifactContext {
  let test: TestApp | undefined;
  let baseUrl = '';
  before(async () => {
    test = await createTestApp(options.env ? { env: options.env } : {});
    if (options.listen) baseUrl = await test.app.http.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await test?.close();
  });
  const open = (): TestApp => {
    assert.ok(test, 'the test app is not open');
    return test;
  };
  return {
    get api() {
      return new Api(open());
    },
    get artifacts() {
      return new ArtifactClient(new Api(open()));
    },
    get dir() {
      return open().dir;
    },
    get root() {
      return join(open().dir, 'mlartifacts');
    },
    get baseUrl() {
      assert.ok(baseUrl, 'the test app is not listening');
      return baseUrl;
    },
  };
}
