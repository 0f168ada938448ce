import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, describeConfig, loadConfig, redactUri, type StoreConfig } from './config.ts';

const CWD = '/srv/plumb';

const sqlitePath = (store: StoreConfig) =>
  store.kind === 'sqlite' ? store.path : assert.fail(`a ${store.kind} store`);

function problemsOf(env: Record<string, string>, flags: Parameters<typeof loadConfig>[1] = {}): readonly string[] {
  try {
    loadConfig(env, flags, CWD);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.message, `Invalid configuration:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

/** The defaults of the settings most tests do not set. */
const DEFAULT_WEBHOOKS = {
  secretKey: undefined,
  allowedSchemes: ['https'],
  allowedHosts: [],
  requestTimeoutMs: 30_000,
  maxRetries: 3,
  retryBaseMs: 1000,
  pollIntervalMs: 1000,
  maxWorkers: 10,
};
const DEFAULT_NODES = { heartbeatMs: 5000, strictConfig: false };
const DEFAULT_TELEMETRY = {
  metrics: { enabled: false, port: undefined },
  exposePrometheusDir: undefined,
  tracing: undefined,
  slowRequestMs: 1000,
  clientVersions: { allowed: undefined, policy: 'warn', rejectUnrecognised: false, warnIntervalMs: 3_600_000 },
};

void describe('loadConfig', () => {
  void it("defaults to MLflow's: sqlite:///mlruns.db in the working directory, 127.0.0.1:5000, proxied artifacts", () => {
    assert.deepEqual(loadConfig({}, {}, CWD), {
      store: { kind: 'sqlite', uri: 'sqlite:///mlruns.db', path: '/srv/plumb/mlruns.db' },
      artifacts: {
        defaultArtifactRoot: 'mlflow-artifacts:/',
        destination: { kind: 'local', uri: './mlartifacts', path: '/srv/plumb/mlartifacts' },
        serveArtifacts: true,
        allowOverwriteFinishedRuns: false,
      },
      server: { host: '127.0.0.1', port: 5000 },
      tracking: { truncateLongValues: true, writeQueueRows: 200_000 },
      webhooks: DEFAULT_WEBHOOKS,
      nodes: DEFAULT_NODES,
      telemetry: DEFAULT_TELEMETRY,
      logLevel: 'info',
    });
  });

  void it('reads the working directory from process.cwd() when none is given', () => {
    assert.equal(sqlitePath(loadConfig({}).store), `${process.cwd()}/mlruns.db`);
  });

  void it("honours MLflow's environment variable names", () => {
    const config = loadConfig(
      {
        MLFLOW_BACKEND_STORE_URI: 'sqlite:////var/lib/mlflow/db.sqlite',
        MLFLOW_DEFAULT_ARTIFACT_ROOT: 's3://bucket/mlflow',
        MLFLOW_ARTIFACTS_DESTINATION: '/var/lib/mlflow/artifacts',
        MLFLOW_SERVE_ARTIFACTS: 'false',
        MLFLOW_HOST: '0.0.0.0',
        MLFLOW_PORT: '8080',
        MLFLOW_TRUNCATE_LONG_VALUES: 'false',
      },
      {},
      CWD,
    );
    assert.deepEqual(config.store, {
      kind: 'sqlite',
      uri: 'sqlite:////var/lib/mlflow/db.sqlite',
      path: '/var/lib/mlflow/db.sqlite',
    });
    assert.deepEqual(config.artifacts, {
      defaultArtifactRoot: 's3://bucket/mlflow',
      destination: { kind: 'local', uri: '/var/lib/mlflow/artifacts', path: '/var/lib/mlflow/artifacts' },
      serveArtifacts: false,
      allowOverwriteFinishedRuns: false,
    });
    assert.deepEqual(config.server, { host: '0.0.0.0', port: 8080 });
    assert.equal(config.tracking.truncateLongValues, false);
  });

  void it('honours the PLUMB_* names, and PLUMB_LOG_LEVEL', () => {
    const config = loadConfig(
      { PLUMB_BACKEND_STORE_URI: 'sqlite:///other.db', PLUMB_PORT: '7000', PLUMB_HOST: '::1', PLUMB_LOG_LEVEL: 'warn' },
      {},
      CWD,
    );
    assert.equal(sqlitePath(config.store), '/srv/plumb/other.db');
    assert.deepEqual(config.server, { host: '::1', port: 7000 });
    assert.equal(config.logLevel, 'warn');
  });

  void it('lets flags override the environment, setting by setting', () => {
    const env = {
      MLFLOW_BACKEND_STORE_URI: 'sqlite:///env.db',
      MLFLOW_PORT: '6000',
      MLFLOW_HOST: '0.0.0.0',
      MLFLOW_SERVE_ARTIFACTS: 'true',
      MLFLOW_ARTIFACTS_DESTINATION: '/env/artifacts',
    };
    const config = loadConfig(
      env,
      { backendStoreUri: 'sqlite:///flag.db', port: '6001', serveArtifacts: false, artifactsDestination: 'arts' },
      CWD,
    );
    assert.equal(sqlitePath(config.store), '/srv/plumb/flag.db');
    assert.equal(config.server.port, 6001);
    assert.equal(config.server.host, '0.0.0.0', 'a setting without a flag keeps its environment value');
    assert.equal(config.artifacts.serveArtifacts, false);
    assert.deepEqual(config.artifacts.destination, { kind: 'local', uri: 'arts', path: '/srv/plumb/arts' });
    assert.equal(loadConfig(env, { port: 0 }, CWD).server.port, 0);
  });

  void it('treats an empty environment variable as unset', () => {
    assert.deepEqual(loadConfig({ MLFLOW_PORT: '', MLFLOW_HOST: '' }, {}, CWD).server, {
      host: '127.0.0.1',
      port: 5000,
    });
  });

  void it('reads sqlite URIs as SQLAlchemy does: three slashes relative, four absolute, none in memory', () => {
    const path = (uri: string) => sqlitePath(loadConfig({}, { backendStoreUri: uri }, CWD).store);
    assert.equal(path('sqlite:///data/mlruns.db'), '/srv/plumb/data/mlruns.db');
    assert.equal(path('sqlite:////tmp/x.db'), '/tmp/x.db');
    assert.equal(path('sqlite://'), ':memory:');
    assert.equal(path('sqlite:///:memory:'), ':memory:');
  });

  void it('accepts the boolean spellings MLflow (click) accepts, in any case', () => {
    const serve = (value: string) => loadConfig({ MLFLOW_SERVE_ARTIFACTS: value }, {}, CWD).artifacts.serveArtifacts;
    for (const yes of ['true', 'True', 'TRUE', '1', 'yes', 'Yes', 'y', 'on', 'ON', 't'])
      assert.equal(serve(yes), true, yes);
    for (const no of ['false', 'False', '0', 'no', 'NO', 'n', 'off', 'Off', 'f']) assert.equal(serve(no), false, no);
    assert.match(problemsOf({ MLFLOW_SERVE_ARTIFACTS: 'maybe' })[0] ?? '', /^MLFLOW_SERVE_ARTIFACTS: .*"maybe"/);
  });

  void it('without proxied artifacts, defaults the artifact root to ./mlruns made absolute', () => {
    const config = loadConfig({}, { serveArtifacts: false }, CWD);
    assert.equal(config.artifacts.defaultArtifactRoot, '/srv/plumb/mlruns');
  });

  void it('makes a relative local default artifact root absolute, as MLflow does, and keeps URIs as given', () => {
    const root = (value: string) => loadConfig({}, { defaultArtifactRoot: value }, CWD).artifacts.defaultArtifactRoot;
    assert.equal(root('./artifacts'), '/srv/plumb/artifacts');
    assert.equal(root('artifacts'), '/srv/plumb/artifacts');
    assert.equal(root('/abs/artifacts'), '/abs/artifacts');
    assert.equal(root('s3://bucket/prefix'), 's3://bucket/prefix');
    assert.equal(root('mlflow-artifacts:/'), 'mlflow-artifacts:/');
    assert.equal(root('file:///abs/artifacts'), 'file:///abs/artifacts');
  });

  void it('takes a file: URI as the artifacts destination, and refuses credentials inside an S3 URI', () => {
    assert.deepEqual(loadConfig({}, { artifactsDestination: 'file:///data/artifacts' }, CWD).artifacts.destination, {
      kind: 'local',
      uri: 'file:///data/artifacts',
      path: '/data/artifacts',
    });
    const problems = problemsOf({ MLFLOW_ARTIFACTS_DESTINATION: 's3://AKIAKEY:wJalrSECRET@bucket/artifacts' });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^MLFLOW_ARTIFACTS_DESTINATION: .*s3:\/\/AKIAKEY:\*\*\*@bucket\/artifacts.*credentials/);
    assert.doesNotMatch(problems[0]!, /wJalrSECRET/);
  });

  void it("takes s3:// destinations with MLflow's endpoint variable, path-style when an endpoint is set", () => {
    const env = { MLFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:7480', AWS_DEFAULT_REGION: 'eu-west-1' };
    assert.deepEqual(loadConfig(env, { artifactsDestination: 's3://ml-bucket/team/a/' }, CWD).artifacts.destination, {
      kind: 's3',
      uri: 's3://ml-bucket/team/a/',
      bucket: 'ml-bucket',
      prefix: 'team/a',
      endpoint: 'http://127.0.0.1:7480',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    const aws = loadConfig({}, { artifactsDestination: 's3://ml-bucket' }, CWD).artifacts.destination;
    assert.equal(aws.kind === 's3' && aws.forcePathStyle, false);
    assert.match(problemsOf({}, { artifactsDestination: 's3://Bad_Bucket/x' })[0]!, /invalid S3 bucket name/);
  });

  void it('takes wasbs:// and https:// Azure destinations, and needs credentials for them', () => {
    const env = {
      AZURE_STORAGE_CONNECTION_STRING: 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0',
    };
    for (const uri of [
      'wasbs://models@acct.blob.core.windows.net/p/q',
      'https://acct.blob.core.windows.net/models/p/q',
    ]) {
      const destination = loadConfig(env, { artifactsDestination: uri }, CWD).artifacts.destination;
      assert.deepEqual(destination, {
        kind: 'azure',
        uri,
        container: 'models',
        account: 'acct',
        prefix: 'p/q',
        connectionString: env.AZURE_STORAGE_CONNECTION_STRING,
        accountKey: undefined,
      });
    }
    const config = loadConfig(env, { artifactsDestination: 'wasbs://models@acct.blob.core.windows.net' }, CWD);
    assert.doesNotMatch(JSON.stringify(describeConfig(config)), /c2VjcmV0/);
    assert.match(
      problemsOf({}, { artifactsDestination: 'wasbs://models@acct.blob.core.windows.net/x' })[0]!,
      /AZURE_STORAGE_CONNECTION_STRING/,
    );
    assert.match(problemsOf({}, { artifactsDestination: 'gs://bucket/x' })[0]!, /not a supported artifact store/);
  });

  void it('reads postgresql://, postgres:// and SQLAlchemy postgresql+<driver>:// URIs', () => {
    const store = (uri: string) => loadConfig({}, { backendStoreUri: uri }, CWD).store;
    for (const uri of [
      'postgresql://u:pw@db.example:5433/mlflow',
      'postgres://u:pw@db.example:5433/mlflow',
      'postgresql+psycopg2://u:pw@db.example:5433/mlflow',
      'postgresql+pg8000://u:pw@db.example:5433/mlflow',
    ]) {
      assert.deepEqual(store(uri), {
        kind: 'postgres',
        uri,
        connectionString: 'postgresql://u:pw@db.example:5433/mlflow',
      });
    }
  });

  void it('takes pool options from the PostgreSQL URI and passes the rest to the driver', () => {
    const uri = 'postgresql://u@db/mlflow?sslmode=require&pool_size=20&idle_timeout_ms=5000&statement_timeout_ms=60000';
    assert.deepEqual(loadConfig({}, { backendStoreUri: uri }, CWD).store, {
      kind: 'postgres',
      uri,
      connectionString: 'postgresql://u@db/mlflow?sslmode=require',
      poolSize: 20,
      idleTimeoutMs: 5000,
      statementTimeoutMs: 60000,
    });
  });

  void it('reports a PostgreSQL URI without a database or with a bad pool option, password masked', () => {
    const [noDb] = problemsOf({}, { backendStoreUri: 'postgresql://u:hunter2@db:5432' });
    assert.match(noDb ?? '', /postgresql:\/\/u:\*\*\*@db:5432.*names no database/);
    const [badPool] = problemsOf({}, { backendStoreUri: 'postgresql://u:hunter2@db/x?pool_size=0' });
    assert.match(badPool ?? '', /pool_size must be a positive integer/);
    assert.doesNotMatch(`${noDb} ${badPool}`, /hunter2/);
  });

  void it('masks the PostgreSQL password in the described config', () => {
    const config = loadConfig({}, { backendStoreUri: 'postgresql+psycopg2://u:hunter2@db/mlflow' }, CWD);
    const described = JSON.stringify(describeConfig(config));
    assert.doesNotMatch(described, /hunter2/);
    assert.match(described, /postgresql:\/\/u:\*\*\*@db\/mlflow/);
  });

  void it('reports every bad setting at once, each under the name it was given by', () => {
    const problems = problemsOf(
      {
        MLFLOW_PORT: 'eighty',
        MLFLOW_BACKEND_STORE_URI: 'mysql://root:hunter2@db',
        PLUMB_LOG_LEVEL: 'loud',
        MLFLOW_TRUNCATE_LONG_VALUES: 'sometimes',
      },
      { host: '' },
    );
    assert.equal(problems.length, 5, problems.join('\n'));
    const byOrigin = (prefix: string) => problems.find((p) => p.startsWith(prefix));
    assert.match(byOrigin('MLFLOW_PORT:') ?? '', /"eighty"/);
    assert.match(byOrigin('MLFLOW_BACKEND_STORE_URI:') ?? '', /mysql:\/\/root:\*\*\*@db.*names no database/);
    assert.match(byOrigin('PLUMB_LOG_LEVEL:') ?? '', /"loud"/);
    assert.match(byOrigin('MLFLOW_TRUNCATE_LONG_VALUES:') ?? '', /"sometimes"/);
    assert.match(byOrigin('--host:') ?? '', /must not be empty/);
    assert.doesNotMatch(problems.join('\n'), /hunter2/);
  });

  void it('reports a bad port and a bad store URI together (flags)', () => {
    const problems = problemsOf({}, { port: '70000', backendStoreUri: 'oracle://scott:tiger@db' });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems.find((p) => p.startsWith('--port:')) ?? '', /70000/);
    assert.match(
      problems.find((p) => p.startsWith('--backend-store-uri:')) ?? '',
      /oracle:\/\/scott:\*\*\*@db.*not a recognised database URI/,
    );
  });

  void it('rejects ports that are not integers in 0..65535', () => {
    for (const port of ['-1', '65536', '80.5', 'abc']) {
      assert.equal(problemsOf({ MLFLOW_PORT: port }).length, 1, port);
    }
    assert.equal(loadConfig({ MLFLOW_PORT: '65535' }, {}, CWD).server.port, 65535);
  });
});

void describe('describeConfig and redactUri', () => {
  void it('masks the password of every URI it prints, and keeps everything else', () => {
    const config = loadConfig(
      {},
      { backendStoreUri: 'sqlite:///mlruns.db', defaultArtifactRoot: 'https://user:p4ss@artifacts.example/root' },
      CWD,
    );
    const described = describeConfig(config);
    assert.deepEqual(described, {
      store: { kind: 'sqlite', uri: 'sqlite:///mlruns.db', path: '/srv/plumb/mlruns.db' },
      artifacts: {
        defaultArtifactRoot: 'https://user:***@artifacts.example/root',
        destination: { kind: 'local', uri: './mlartifacts', path: '/srv/plumb/mlartifacts' },
        serveArtifacts: true,
        allowOverwriteFinishedRuns: false,
      },
      server: { host: '127.0.0.1', port: 5000 },
      tracking: { truncateLongValues: true, writeQueueRows: 200_000 },
      webhooks: DEFAULT_WEBHOOKS,
      nodes: DEFAULT_NODES,
      telemetry: DEFAULT_TELEMETRY,
      logLevel: 'info',
    });
    assert.doesNotMatch(JSON.stringify(described), /p4ss/);
    assert.equal(
      config.artifacts.defaultArtifactRoot,
      'https://user:p4ss@artifacts.example/root',
      'the config keeps it',
    );
  });

  void it('masks passwords however they are written', () => {
    const cases: [string, string][] = [
      ['postgresql://user:secret@host:5432/db', 'postgresql://user:***@host:5432/db'],
      ['mysql+pymysql://user:secret@host/db', 'mysql+pymysql://user:***@host/db'],
      ['postgresql://user:@host/db', 'postgresql://user:***@host/db'],
      // Unencoded '/' or '@' in a password: mask all of it, never a part.
      ['postgresql://user:pa/ss@host/db', 'postgresql://user:***@host/db'],
      ['postgresql://user:p@ss@host/db', 'postgresql://user:***@host/db'],
      // Passwords and keys in the query string (libpq URIs, SAS tokens).
      [
        'postgresql://host/db?user=u&password=secret&sslmode=require',
        'postgresql://host/db?user=u&password=***&sslmode=require',
      ],
      [
        'https://acct.blob.core.windows.net/c?sv=2022&sig=abc%2Fdef',
        'https://acct.blob.core.windows.net/c?sv=2022&sig=***',
      ],
      [
        's3://bucket/path?X-Amz-Credential=AKIA&X-Amz-Signature=f00',
        's3://bucket/path?X-Amz-Credential=***&X-Amz-Signature=***',
      ],
    ];
    for (const [uri, redacted] of cases) assert.equal(redactUri(uri), redacted, uri);
  });

  void it('leaves URIs without credentials alone', () => {
    for (const uri of [
      'sqlite:///mlruns.db',
      'postgresql://postgres@localhost/db',
      's3://bucket/path@v1/x',
      'mlflow-artifacts:/',
      '/abs/path',
      'https://host/a?b=c',
    ]) {
      assert.equal(redactUri(uri), uri);
    }
  });
});

void describe('MySQL store URIs', () => {
  const store = (uri: string) => loadConfig({}, { backendStoreUri: uri }, CWD).store;

  void it('reads mysql:// and SQLAlchemy mysql+<driver>:// URIs (MariaDB too)', () => {
    for (const uri of [
      'mysql://u:pw@db.example:3307/mlflow',
      'mysql+pymysql://u:pw@db.example:3307/mlflow',
      'mysql+mysqldb://u:pw@db.example:3307/mlflow',
      'mysql+mysqlconnector://u:pw@db.example/mlflow',
    ]) {
      assert.deepEqual(store(uri), { kind: 'mysql', uri });
    }
  });

  void it('takes pool options from the MySQL URI', () => {
    const uri = 'mysql://u@db/mlflow?pool_size=20&idle_timeout_ms=5000&statement_timeout_ms=60000';
    assert.deepEqual(store(uri), {
      kind: 'mysql',
      uri,
      poolSize: 20,
      idleTimeoutMs: 5000,
      statementTimeoutMs: 60000,
    });
  });

  void it('reports a MySQL URI without a database or with a bad pool option, password masked', () => {
    const [noDb] = problemsOf({}, { backendStoreUri: 'mysql+pymysql://u:hunter2@db:3306' });
    assert.match(noDb ?? '', /mysql\+pymysql:\/\/u:\*\*\*@db:3306.*names no database/);
    const [badPool] = problemsOf({}, { backendStoreUri: 'mysql://u:hunter2@db/x?pool_size=-1' });
    assert.match(badPool ?? '', /pool_size must be a positive integer/);
    assert.doesNotMatch(`${noDb} ${badPool}`, /hunter2/);
  });

  void it('masks the MySQL password in the described config', () => {
    const config = loadConfig({}, { backendStoreUri: 'mysql+pymysql://u:hunter2@db/mlflow' }, CWD);
    const described = JSON.stringify(describeConfig(config));
    assert.doesNotMatch(described, /hunter2/);
    assert.match(described, /mysql\+pymysql:\/\/u:\*\*\*@db\/mlflow/);
  });
});

void describe('telemetry settings', () => {
  void it("--metrics-port and MLflow's --expose-prometheus each turn metrics on; the directory is kept only to be logged", () => {
    assert.deepEqual(loadConfig({}, { metrics: true }, CWD).telemetry.metrics, { enabled: true, port: undefined });
    assert.deepEqual(loadConfig({ PLUMB_METRICS_PORT: '9100' }, {}, CWD).telemetry.metrics, {
      enabled: true,
      port: 9100,
    });
    const mlflowStyle = loadConfig({}, { exposePrometheus: '/tmp/prom' }, CWD).telemetry;
    assert.deepEqual(mlflowStyle.metrics, { enabled: true, port: undefined });
    assert.equal(mlflowStyle.exposePrometheusDir, '/tmp/prom');
    assert.match(problemsOf({ PLUMB_METRICS: 'maybe' }).join('\n'), /^PLUMB_METRICS: .*"maybe"/);
  });

  void it('client-version policy: flags over env, ranges checked, policy one of warn/reject', () => {
    const config = loadConfig(
      { PLUMB_ALLOWED_CLIENT_VERSIONS: '>=1' },
      { allowedClientVersions: '>=2.16 <4; plumb-ts-client >=0.3', clientVersionPolicy: 'reject' },
      CWD,
    );
    assert.equal(config.telemetry.clientVersions.allowed, '>=2.16 <4; plumb-ts-client >=0.3');
    assert.equal(config.telemetry.clientVersions.policy, 'reject');
    const problems = problemsOf(
      { PLUMB_CLIENT_VERSION_POLICY: 'block' },
      { allowedClientVersions: 'mlflow-python-client latest' },
    );
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /^--allowed-client-versions: 'mlflow-python-client latest' is neither a version range/);
    assert.match(problems[1]!, /^PLUMB_CLIENT_VERSION_POLICY: /);
  });

  void it('tracing is off unless the OTEL_* variables ask for it, and OTEL_SDK_DISABLED wins', () => {
    assert.equal(loadConfig({}, {}, CWD).telemetry.tracing, undefined);
    assert.equal(
      loadConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, {}, CWD).telemetry
        .tracing,
      undefined,
    );
    assert.equal(
      loadConfig({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, {}, CWD).telemetry.tracing,
      undefined,
    );
    assert.deepEqual(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }, {}, CWD).telemetry.tracing, {
      endpoint: 'http://localhost:4318/v1/traces',
      headers: {},
      serviceName: 'plumb',
      resourceAttributes: {},
    });
    const tracing = loadConfig(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318/',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cr%3Dt,bad',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=from-attrs',
      },
      {},
      CWD,
    ).telemetry.tracing;
    assert.deepEqual(tracing, {
      endpoint: 'https://collector.example:4318/v1/traces',
      headers: { 'x-api-key': 's3cr=t' },
      serviceName: 'from-attrs',
      resourceAttributes: { 'deployment.environment': 'prod', 'service.name': 'from-attrs' },
    });
    const signal = loadConfig(
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom', OTEL_SERVICE_NAME: 'plumb-eu' },
      {},
      CWD,
    ).telemetry.tracing;
    assert.equal(signal?.endpoint, 'http://c:4318/custom');
    assert.equal(signal?.serviceName, 'plumb-eu');
    assert.deepEqual(
      problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
      ['OTEL_EXPORTER_OTLP_PROTOCOL: Plumb exports spans over OTLP/HTTP only (got "grpc")'],
    );
  });

  void it('the effective configuration masks collector headers and endpoint credentials', () => {
    const described = describeConfig(
      loadConfig(
        {
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://u:pw@c.example/v1/traces',
          OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc',
        },
        {},
        CWD,
      ),
    );
    const tracing = (described.telemetry as { tracing: Record<string, unknown> }).tracing;
    assert.deepEqual(tracing.headers, { authorization: '***' });
    assert.equal(tracing.endpoint, 'https://u:***@c.example/v1/traces');
    assert.doesNotMatch(JSON.stringify(described), /abc|:pw@/);
  });
});

void describe('the hot artifact tier', () => {
  it('is off by default, and takes file:/// URIs or local paths with its policy and pins', () => {
    assert.equal(loadConfig({}, {}, CWD).artifacts.hot, undefined);
    const hot = loadConfig(
      {
        PLUMB_ARTIFACTS_HOT_MAX_AGE_HOURS: '2',
        PLUMB_ARTIFACTS_HOT_BUDGET_BYTES: '1000',
        PLUMB_ARTIFACTS_HOT_SHARED: 'yes',
        PLUMB_ARTIFACTS_HOT_PIN_RUNS: 'r1, r2',
        PLUMB_ARTIFACTS_HOT_PIN_EXPERIMENTS: '7',
        PLUMB_ARTIFACTS_HOT_PIN_MODELS: 'Fraud@champion',
      },
      { artifactsHot: 'file:///fast/ssd' },
      CWD,
    ).artifacts.hot;
    assert.deepEqual(hot, {
      path: '/fast/ssd',
      shared: true,
      maxAgeMs: 2 * 3_600_000,
      budgetBytes: 1000,
      intervalMs: 300_000,
      leaseMs: 600_000,
      pins: {
        runIds: ['r1', 'r2'],
        experimentIds: ['7'],
        models: [{ name: 'Fraud', alias: 'champion' }],
      },
      testCrashAt: undefined,
    });
  });

  it('resolves a relative path and refuses remote stores, relative file URIs and bad pins at once', () => {
    assert.equal(loadConfig({ PLUMB_ARTIFACTS_HOT: 'hot' }, {}, CWD).artifacts.hot?.path, '/srv/plumb/hot');
    assert.deepEqual(
      problemsOf({ PLUMB_ARTIFACTS_HOT: 's3://bucket/hot', PLUMB_ARTIFACTS_HOT_PIN_MODELS: 'no-alias' }),
      [
        `PLUMB_ARTIFACTS_HOT_PIN_MODELS: must list name@alias entries (got "no-alias")`,
        `PLUMB_ARTIFACTS_HOT: hot tier 's3://bucket/hot' must be a local directory (file:///path), not a remote store`,
      ],
    );
    assert.deepEqual(problemsOf({}, { artifactsHot: 'file://relative/dir' }), [
      `--artifacts-hot: hot tier 'file://relative/dir' must be file:///<absolute path>`,
    ]);
  });
});
