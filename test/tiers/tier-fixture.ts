/**
 * A Plumb app with a hot tier (a temp directory) in front of a cold tier: a local directory, Ceph
 * RGW (S3) or Azurite. The app's own mover never runs during a test (a day's interval): tests run
 * passes themselves, with a clock they move, through the same wiring `plumb artifacts tier` uses.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactRepository } from '../../src/artifacts/artifact-repository.ts';
import { createTiers } from '../../src/artifacts/tiered/tiers-wiring.ts';
import type { TierMover } from '../../src/artifacts/tiered/tier-mover.ts';
import { createArtifactRepository } from '../../src/app.ts';
import { type HotTierConfig, loadConfig } from '../../src/config/config.ts';
import type { ArtifactPath } from '../../src/core/artifact-path.ts';
import type { ManifestEntry } from '../../src/store/artifact-manifest-store.ts';
import { createTestContainer } from '../helpers/azurite-service.ts';
import { createTestBucket, ensureTestS3 } from '../helpers/s3-service.ts';
import { createTestApp, defaultStore, type TestApp } from '../helpers/test-server.ts';
import { Api, assertOk, type WireRun } from '../fixtures/builders.ts';

export type ColdKind = 'local' | 's3' | 'azure';
export const COLD_KINDS: readonly ColdKind[] = ['local', 's3', 'azure'];
export const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
export const HOUR = 3_600_000;

export interface ColdStore {
  /** --artifacts-destination and the environment it needs. */
  readonly destination: string;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** A fresh cold store of the kind; S3 credentials go through the SDK's standard chain (process env). */
export async function openColdStore(kind: ColdKind, label: string): Promise<ColdStore> {
  if (kind === 'local') {
    const dir = mkdtempSync(join(tmpdir(), 'plumb-cold-'));
    return { destination: dir, env: {}, close: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (kind === 's3') {
    const s3 = await ensureTestS3();
    const bucket = await createTestBucket(s3, label);
    process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
    return {
      destination: `s3://${bucket.name}/cold`,
      env: {
        MLFLOW_S3_ENDPOINT_URL: s3.endpoint,
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      },
      close: () => bucket.close(),
    };
  }
  const container = await createTestContainer();
  return {
    destination: `wasbs://${container.name}@devstoreaccount1.blob.core.windows.net/cold`,
    env: { AZURE_STORAGE_CONNECTION_STRING: container.azurite.connectionString },
    close: () => container.drop(),
  };
}

export interface TieredApp {
  readonly api: Api;
  readonly test: TestApp;
  readonly hotDir: string;
  readonly cold: ArtifactRepository;
  readonly coldStore: ColdStore;
  /** The metadata store's URI (SQLite, or PostgreSQL/MariaDB under PLUMB_TEST_STORE), for CLI runs and doctor. */
  readonly storeUri: string;
  /** A mover as `plumb artifacts tier` builds it, whose clock runs `offsetMs` ahead. */
  mover(options?: { offsetMs?: number; policy?: Partial<HotTierConfig> }): TierMover;
  upload(run: WireRun, path: string, bytes: Buffer | string): Promise<string>;
  entry(path: string): Promise<ManifestEntry | undefined>;
  hotHas(path: string): boolean;
  close(): Promise<void>;
}

export async function openTieredApp(
  kind: ColdKind,
  label: string,
  env: Record<string, string> = {},
): Promise<TieredApp> {
  const coldStore = await openColdStore(kind, label);
  const hotDir = mkdtempSync(join(tmpdir(), 'plumb-hot-'));
  const store = await defaultStore(hotDir);
  const fullEnv = {
    // The database file sits beside the hot tier's directory, not in it.
    MLFLOW_BACKEND_STORE_URI: store.uri.replace(hotDir, `${hotDir}-db`),
    ...coldStore.env,
    PLUMB_ARTIFACTS_HOT: `file://${hotDir}`,
    PLUMB_ARTIFACTS_TIER_INTERVAL_MS: String(24 * HOUR),
    ...env,
  };
  mkdirSync(`${hotDir}-db`, { recursive: true });
  const test = await createTestApp({ env: fullEnv, artifactsDestination: coldStore.destination });
  const config = loadConfig({ PLUMB_LOG_LEVEL: 'silent', ...fullEnv }, { artifactsDestination: coldStore.destination });
  const cold = await createArtifactRepository(config.artifacts.destination);
  const hot = config.artifacts.hot!;
  const api = new Api(test);
  return {
    api,
    test,
    hotDir,
    cold,
    coldStore,
    storeUri: fullEnv.MLFLOW_BACKEND_STORE_URI,
    mover: (options = {}) =>
      createTiers({
        config: { ...hot, ...options.policy },
        cold,
        store: test.app.store,
        clock: { now: () => Date.now() + (options.offsetMs ?? 0) },
      }).mover,
    async upload(run, path, bytes) {
      const full = `${run.info.experiment_id}/${run.info.run_id}/artifacts/${path}`;
      assertOk(await api.raw({ method: 'PUT', url: `${PROXY}/${full}`, payload: bytes }));
      return full;
    },
    entry: (path) => test.app.store.artifactManifest.get(path as ArtifactPath),
    hotHas: (path) => existsSync(join(hotDir, path)),
    async close() {
      await test.close();
      (cold as { destroy?: () => void }).destroy?.();
      await coldStore.close();
      await store.drop?.();
      rmSync(hotDir, { recursive: true, force: true });
      rmSync(`${hotDir}-db`, { recursive: true, force: true });
    },
  };
}

export async function finish(api: Api, run: WireRun): Promise<void> {
  assertOk(await api.post('runs/update', { run_id: run.info.run_id, status: 'FINISHED' }));
}
