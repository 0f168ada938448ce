import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { createLogger } from './telemetry/logger.ts';
import { metricSourcesOf } from './telemetry/metric-sources.ts';
import { createTelemetry, type Telemetry } from './telemetry/telemetry.ts';
import { systemClock } from './core/clock.ts';
import { MlflowError } from './core/errors.ts';
import { buildHttpServer } from './api/build-http-server.ts';
import type { ArtifactStoreConfig, Config, StoreConfig } from './config/config.ts';
import { configFingerprint, configSummary } from './config/config-fingerprint.ts';
import { redactUri } from './config/config.ts';
import { StoreStatusService } from './doctor/store-status.service.ts';
import { NodeRegistryService } from './doctor/node-registry.service.ts';
import type { ArtifactRepository } from './artifacts/artifact-repository.ts';
import { LocalArtifactRepository } from './artifacts/local/local-artifact-repository.ts';
import { ArtifactService } from './tracking/artifact.service.ts';
import { RunSnapshotService } from './tracking/run-snapshot.service.ts';
import type { MetadataStore, SchemaStatus } from './store/store.ts';
import type { StoreObserver } from './store/sql/write-groups.ts';
import { openPostgresMetadataStore } from './store/postgres/postgres-store.ts';
import { openMysqlMetadataStore } from './store/mysql/mysql-store.ts';
import { openSqliteMetadataStore } from './store/sqlite/sqlite-store.ts';
import type { MlflowSource } from './store/mlflow-source.ts';
import { openMlflowSource as openMlflowDatabase } from './store/mlflow/open-mlflow-source.ts';
import { checkCompatibility } from './store/sql/migrator.ts';
import type { NativeBackupTool } from './store/native-backup.ts';
import { createSqliteBackup } from './store/sqlite/sqlite-backup.ts';
import { findPgDumpBackup } from './store/postgres/pg-dump-backup.ts';
import { findMysqlDumpBackup } from './store/mysql/mysql-dump-backup.ts';
import { ExperimentService } from './tracking/experiment.service.ts';
import { LoggedModelService } from './tracking/logged-model.service.ts';
import { LoggingService } from './tracking/logging.service.ts';
import { MetricHistoryService } from './tracking/metric-history.service.ts';
import { RunService } from './tracking/run.service.ts';
import { PLUMB_VERSION } from './version.ts';
import { ModelAliasService } from './registry/model-alias.service.ts';
import { ModelVersionService } from './registry/model-version.service.ts';
import { RegisteredModelService } from './registry/registered-model.service.ts';
import { RegistryEventService } from './registry/registry-events.ts';
import { aesGcmSecretCipher } from './registry/webhooks/secret-cipher.ts';
import { WebhookDispatcher } from './registry/webhooks/webhook-dispatcher.ts';
import { withWebhookOutbox } from './registry/webhooks/webhook-events.ts';
import { WebhookService } from './registry/webhooks/webhook.service.ts';
import { AllowList } from './webhook-http/address-policy.ts';
import { createSafeWebhookTransport, type Resolver } from './webhook-http/safe-webhook-transport.ts';
import type { ArtifactPath } from './core/artifact-path.ts';
import { ArtifactsDoctorService } from './doctor/artifacts-doctor.service.ts';
import { ConfigDoctorService } from './doctor/config-doctor.service.ts';
import { DbDoctorService } from './doctor/db-doctor.service.ts';
import { LIVE_INTERVALS } from './doctor/node-registry.service.ts';
import { runArtifactPathOf } from './tracking/artifact-locations.ts';
import { SNAPSHOT_DIR } from './tracking/run-snapshot.format.ts';
import { openTiers, tiersDoctor } from './artifacts/tiered/tiers-wiring.ts';

/** COMPOSITION ROOT: the only module that knows which implementations exist. */
export interface App {
  readonly http: FastifyInstance;
  readonly store: MetadataStore;
  readonly logger: Logger;
  readonly snapshots: RunSnapshotService;
  readonly nodes: NodeRegistryService;
  readonly telemetry: Telemetry;
  close(): Promise<void>;
}

export function openMetadataStore(
  config: StoreConfig,
  options: { readOnly?: boolean; writeQueueRows?: number; observer?: StoreObserver | undefined } = {},
): MetadataStore {
  const { writeQueueRows, observer } = options;
  switch (config.kind) {
    case 'sqlite':
      return openSqliteMetadataStore({
        path: config.path,
        now: systemClock.now,
        readOnly: options.readOnly,
        writeQueueRows,
        observer,
      });
    case 'postgres':
      // The `pg` driver itself loads on the first query (see openPostgres): SQLite users never load it.
      return openPostgresMetadataStore({
        ...config,
        now: systemClock.now,
        readOnly: options.readOnly,
        writeQueueRows,
        observer,
      });
    case 'mysql':
      // mysql2 itself loads on the first query (see openMysql): other users never load it.
      return openMysqlMetadataStore({
        uri: config.uri,
        connectionLimit: config.poolSize,
        idleTimeoutMs: config.idleTimeoutMs,
        statementTimeoutMs: config.statementTimeoutMs,
        readOnly: options.readOnly,
        now: systemClock.now,
        writeQueueRows,
        observer,
      });
    default: {
      const unknown: never = config;
      throw new MlflowError('INVALID_STATE', `Unsupported store ${(unknown as { kind: string }).kind}`);
    }
  }
}

/** Opens an MLflow backend store (its database) for reading, for `plumb import mlflow`. */
export function openMlflowSource(config: StoreConfig): MlflowSource {
  const description = redactUri(config.uri);
  switch (config.kind) {
    case 'sqlite':
      return openMlflowDatabase({ kind: 'sqlite', path: config.path, description });
    case 'postgres':
      return openMlflowDatabase({ kind: 'postgres', connectionString: config.connectionString, description });
    case 'mysql':
      return openMlflowDatabase({ kind: 'mysql', uri: config.uri, description });
    default: {
      const unknown: never = config;
      throw new MlflowError('INVALID_STATE', `Unsupported store ${(unknown as { kind: string }).kind}`);
    }
  }
}

/** `<package root>/dist/ui`: this file is src/app.ts or, built, dist/app.js; both sit one level below the root. */
const DEFAULT_UI_DIR = fileURLToPath(new URL('../dist/ui', import.meta.url));

const ABANDONED_UPLOAD_AGE_MS = 24 * 60 * 60 * 1000;

/** Builds the artifact backend; remote SDKs load only when configured, which keeps a local server small. */
export async function createArtifactRepository(config: ArtifactStoreConfig): Promise<ArtifactRepository> {
  switch (config.kind) {
    case 'local':
      return new LocalArtifactRepository(config.path);
    case 'azure': {
      const { createAzureArtifactRepository } = await import('./artifacts/azure/azure-artifact-repository.ts');
      return createAzureArtifactRepository({
        container: config.container,
        prefix: config.prefix,
        account: config.account,
        connectionString: config.connectionString,
        accountKey: config.accountKey,
      });
    }
    case 's3': {
      const { createS3ArtifactRepository } = await import('./artifacts/s3/s3-artifact-repository.ts');
      return createS3ArtifactRepository({
        bucket: config.bucket,
        prefix: config.prefix,
        endpoint: config.endpoint,
        region: config.region,
        forcePathStyle: config.forcePathStyle,
      });
    }
    default: {
      const unknown: never = config;
      throw new MlflowError('INVALID_STATE', `Unsupported artifact store ${JSON.stringify(unknown)}`);
    }
  }
}

/** The artifact store as clients see it: the destination, behind the hot tier when one is configured. */
export async function openArtifactStore(config: Config, store: MetadataStore): Promise<ArtifactRepository> {
  const destination = await createArtifactRepository(config.artifacts.destination);
  return openTiers(config, destination, store)?.repository ?? destination;
}

/**
 * The engine's own backup tool for `plumb backup`/`restore`: SQLite's online backup API, or
 * pg_dump/psql, mysqldump/mysql when installed. Undefined otherwise: backups are then Plumb's
 * logical dump.
 */
export async function createNativeBackup(config: StoreConfig): Promise<NativeBackupTool | undefined> {
  switch (config.kind) {
    case 'sqlite':
      return config.path === ':memory:' ? undefined : createSqliteBackup(config.path);
    case 'postgres':
      return findPgDumpBackup({ connectionString: config.connectionString });
    case 'mysql':
      return findMysqlDumpBackup({ uri: config.uri });
    default: {
      const unknown: never = config;
      throw new MlflowError('INVALID_STATE', `Unsupported store ${(unknown as { kind: string }).kind}`);
    }
  }
}

/** The URI run artifact locations under the store start with: a local store by its absolute path. */
export function destinationUriOf(config: ArtifactStoreConfig): string {
  return config.kind === 'local' ? config.path : config.uri;
}

/**
 * Brings the schema to a state this release can run on: a brand-new empty database is created;
 * anything else must already be at a compatible version (`plumb db upgrade` moves it there).
 */
export async function prepareSchema(store: MetadataStore, logger: Logger): Promise<SchemaStatus> {
  let status = await store.schema.status();
  // Empty, or seemingly behind because another server is creating it right now: decide under the lock.
  if (status.empty || status.pending.length > 0) {
    const { created, status: locked } = await store.schema.createIfEmpty();
    if (created.length > 0) logger.info({ migrations: created.map((m) => m.version) }, 'created a new database');
    status = locked;
  }
  const problem = checkCompatibility(status, PLUMB_VERSION);
  if (problem) throw new MlflowError('INVALID_STATE', `Refusing to start: ${problem}`);
  return status;
}

export async function createApp(
  config: Config,
  options: { logger?: Logger; webhookResolver?: Resolver } = {},
): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const telemetry = await createTelemetry(config.telemetry, { logger, version: PLUMB_VERSION, now: systemClock.now });
  const store = openMetadataStore(config.store, {
    writeQueueRows: config.tracking.writeQueueRows,
    observer: telemetry.storeObserver,
  });
  try {
    const schema = await prepareSchema(store, logger);
    const trackingStore = telemetry.observeTracking(store.tracking);
    const deps = { store: trackingStore, clock: systemClock };
    const rules = { truncateLongValues: config.tracking.truncateLongValues };
    const experiments = new ExperimentService({ ...deps, defaultArtifactRoot: config.artifacts.defaultArtifactRoot });
    await experiments.ensureDefaultExperiment();
    const destination = await createArtifactRepository(config.artifacts.destination);
    const tiers = openTiers(config, destination, store, telemetry);
    const repository = telemetry.observeArtifacts(tiers?.repository ?? destination);
    // Uploads abandoned by clients that went away more than a day ago; recent ones may still be in flight.
    void repository.cleanupAbandonedUploads(ABANDONED_UPLOAD_AGE_MS).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not clean up abandoned uploads');
    });
    const snapshots = new RunSnapshotService({
      tracking: store.tracking,
      repository,
      destinationUri: destinationUriOf(config.artifacts.destination),
      clock: systemClock,
      logger,
    });
    const tracking = {
      experiments,
      runs: new RunService({ ...deps, rules, onRunEnded: (runId) => snapshots.schedule(runId) }),
      logging: new LoggingService({ store: trackingStore, rules }),
      history: new MetricHistoryService({ store: store.tracking }),
      loggedModels: new LoggedModelService({ ...deps, rules }),
    };
    const artifacts = new ArtifactService({
      repository,
      manifest: store.artifactManifest,
      tracking: store.tracking,
      clock: systemClock,
      allowOverwriteFinishedRuns: config.artifacts.allowOverwriteFinishedRuns,
      destinationUri: destinationUriOf(config.artifacts.destination),
      hotTier: tiers && { node: tiers.node },
    });
    tiers?.start(logger);
    // Registry writes enqueue webhook deliveries in their own transaction (the outbox).
    const registryDeps = { store: withWebhookOutbox(store.registry), clock: systemClock };
    const registry = {
      models: new RegisteredModelService(registryDeps),
      versions: new ModelVersionService({
        ...registryDeps,
        getRunInfo: (runId) => store.tracking.getRunInfo(runId),
        getLoggedModel: (modelId) => store.tracking.getLoggedModel(modelId),
      }),
      aliases: new ModelAliasService(registryDeps),
      events: new RegistryEventService({ store: store.registry }),
    };
    const webhookDeps = {
      store: store.webhooks,
      transport: createSafeWebhookTransport({
        allowedSchemes: config.webhooks.allowedSchemes,
        allowList: new AllowList(config.webhooks.allowedHosts),
        timeoutMs: config.webhooks.requestTimeoutMs,
        resolve: options.webhookResolver,
      }),
      cipher: config.webhooks.secretKey ? aesGcmSecretCipher(config.webhooks.secretKey) : undefined,
      clock: systemClock,
    };
    const dispatcher = new WebhookDispatcher({
      ...webhookDeps,
      logger,
      settings: {
        maxAttempts: config.webhooks.maxRetries + 1,
        retryBaseMs: config.webhooks.retryBaseMs,
        retryMaxMs: 60_000,
        batchSize: config.webhooks.maxWorkers,
        leaseMs: config.webhooks.requestTimeoutMs + 30_000,
        pollIntervalMs: config.webhooks.pollIntervalMs,
      },
    });
    const nodes = createNodeRegistry(config, store, schema, logger);
    await nodes.start(); // strict mode refuses here, before anything is served or dispatched
    telemetry.setSources(metricSourcesOf(store, nodes));
    const http = buildHttpServer({
      tracking,
      registry,
      webhooks: new WebhookService(webhookDeps),
      artifacts: {
        artifacts,
        snapshots,
        serveArtifacts: config.artifacts.serveArtifacts,
        modelVersionUri: async (name, version) => (await registry.versions.getDownloadUri(name, version)).value,
      },
      nodes,
      storeStatus: new StoreStatusService({
        engine: config.store.kind,
        schema: store.schema,
        repository,
        clock: systemClock,
      }),
      logger,
      version: PLUMB_VERSION,
      telemetry,
      uiDir: config.server.uiDir ?? DEFAULT_UI_DIR,
    });
    dispatcher.start();
    return {
      http,
      store,
      logger,
      snapshots,
      nodes,
      telemetry,
      async close() {
        await http.close();
        await tiers?.stop();
        await telemetry.close();
        // Leave the live list at once rather than after the heartbeat window.
        await nodes.stop().catch((error: unknown) => logger.warn({ err: error }, 'could not deregister the node'));
        await dispatcher.stop();
        await snapshots.flush();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    await telemetry.close();
    throw error;
  }
}

/** This process's entry in the node registry: its id, where it listens and its config fingerprint. */
function createNodeRegistry(config: Config, store: MetadataStore, schema: SchemaStatus, logger: Logger) {
  const summary = configSummary(config);
  return new NodeRegistryService({
    store: store.nodes,
    self: {
      nodeId: `${hostname().slice(0, 27)}-${randomUUID()}`,
      host: config.server.host,
      port: config.server.port,
      version: PLUMB_VERSION,
      schemaVersion: Math.max(0, ...schema.applied.map((m) => m.version)),
      configFingerprint: configFingerprint(summary),
      configSummary: summary,
    },
    heartbeatMs: config.nodes.heartbeatMs,
    strictConfig: config.nodes.strictConfig,
    logger,
    connectionPool: () => store.connectionPool(),
  });
}

/** `plumb doctor`'s services over one configuration; the artifact store opens on first use. */
export interface DoctorServices {
  readonly config: ConfigDoctorService;
  readonly db: DbDoctorService;
  artifacts(): Promise<ArtifactsDoctorService>;
  /** Whether the metadata store is open for writing (only for repairs on a Plumb database). */
  readonly writable: boolean;
  close(): Promise<void>;
}

/**
 * Opens the metadata store read-only and, when `repair` is asked for and the database holds
 * Plumb's schema, reopens it for writing. An MLflow (or any other) database is never opened
 * writable: on SQLite even that would change its journal mode.
 */
export async function openDoctor(config: Config, options: { repair: boolean }): Promise<DoctorServices> {
  let store = openMetadataStore(config.store, { readOnly: true });
  let writable = false;
  if (options.repair) {
    const identity = await store.diagnostics.identify().catch(() => undefined);
    if (identity?.kind === 'plumb') {
      await store.close();
      store = openMetadataStore(config.store);
      writable = true;
    }
  }
  const summary = configSummary(config);
  const destinationUri = destinationUriOf(config.artifacts.destination);
  let repository: Promise<ArtifactRepository> | undefined;
  const openRepository = () => (repository ??= createArtifactRepository(config.artifacts.destination));
  const opened = store;
  return {
    writable,
    config: new ConfigDoctorService({
      nodes: opened.nodes,
      diagnostics: opened.diagnostics,
      liveWithinMs: config.nodes.heartbeatMs * LIVE_INTERVALS,
      self: { summary, fingerprint: configFingerprint(summary), version: PLUMB_VERSION },
    }),
    db: new DbDoctorService({
      diagnostics: opened.diagnostics,
      schema: opened.schema,
      clock: systemClock,
      release: PLUMB_VERSION,
      // Runs a repair marks FAILED get the snapshot a server writes when a run ends.
      onRunsEnded: async (runIds) => {
        const snapshots = new RunSnapshotService({
          tracking: opened.tracking,
          repository: await openRepository(),
          destinationUri,
          clock: systemClock,
          logger: pino({ level: 'warn' }, pino.destination(2)),
        });
        for (const runId of runIds) snapshots.schedule(runId);
        await snapshots.flush();
      },
    }),
    async artifacts() {
      const tiers = openTiers(config, await openRepository(), opened);
      return new ArtifactsDoctorService({
        repository: tiers?.repository ?? (await openRepository()),
        tiers: tiers && tiersDoctor(tiers, opened, config),
        diagnostics: opened.diagnostics,
        isInsideDestination: (uri) => runArtifactPathOf(uri, destinationUri) !== undefined,
        unrecordedByDesign: isRunSnapshotPath,
        clock: systemClock,
      });
    },
    async close() {
      const made = await repository?.catch(() => undefined);
      (made as { destroy?: () => void } | undefined)?.destroy?.();
      await opened.close();
    },
  };
}

/** `<exp>/<run>/plumb-snapshot` (or `<root>/.plumb/plumb-snapshot`): written beside the artifacts, never recorded. */
function isRunSnapshotPath(path: ArtifactPath): boolean {
  const segments = path.split('/');
  const at = segments.indexOf(SNAPSHOT_DIR);
  return segments.length >= 3 && (at === 2 || (at > 0 && segments[at - 1] === '.plumb'));
}
