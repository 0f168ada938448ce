/**
 * plumb run against a live server: the run's tags and params, MLFLOW_* in the process (which logs
 * into the run), output stored as artifacts, statuses from the exit, no injection through values,
 * git sources, and the Kubernetes Job manifest.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { PlumbClient } from '../../src/client/index.ts';
import { readBackendConfig } from '../../src/projects/kubernetes.ts';
import { runOnKubernetes } from '../../src/projects/kubernetes-runner.ts';
import { fetchProject } from '../../src/projects/project-source.ts';
import { runProject } from '../../src/projects/project-runner.ts';
import { startTestServer } from '../helpers/test-server.ts';

// Logs a metric into the run it was given, as any MLflow client does from MLFLOW_* variables.
const LOGGER = `const base = process.env.MLFLOW_TRACKING_URI;
const body = { run_id: process.env.MLFLOW_RUN_ID, key: 'accuracy', value: Number(process.argv[2]), timestamp: Date.now(), step: 0 };
const r = await fetch(base + '/api/2.0/mlflow/runs/log-metric', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
console.log('experiment', process.env.MLFLOW_EXPERIMENT_ID, 'logged', r.status);
`;

const MLPROJECT = `name: demo
entry_points:
  main:
    parameters:
      accuracy: {type: float, default: 0.5}
      note: {type: string, default: "none"}
    command: "node log.mjs {accuracy} && echo note={note} && echo to-stderr >&2"
  fail:
    command: "echo failing; exit 3"
  crash:
    command: "kill -9 $$"
  sleep:
    command: "sleep 30"
  slow:
    command: "echo first; sleep 2; echo second"
`;

void describe('plumb run', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let client: PlumbClient;
  let dir: string;
  const tagsOf = async (runId: string) =>
    Object.fromEntries(((await client.tracking.getRun(runId)).data.tags ?? []).map((t) => [t.key, t.value]));
  const artifactText = async (runId: string, path: string) => {
    const file = join(dir, `download-${Math.random()}`);
    await client.downloadArtifact(runId, path, file);
    return readFileSync(file, 'utf8');
  };

  before(async () => {
    server = await startTestServer();
    client = new PlumbClient({ trackingUri: server.baseUrl, env: {} });
    dir = mkdtempSync(join(tmpdir(), 'plumb-project-test-'));
    writeFileSync(join(dir, 'MLproject'), MLPROJECT);
    writeFileSync(join(dir, 'log.mjs'), LOGGER);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (entryPoint: string, params: Record<string, string> = {}, signal?: AbortSignal) =>
    runProject({
      source: await fetchProject(dir),
      entryPoint,
      params,
      client,
      trackingUri: server.baseUrl,
      experimentName: 'projects',
      user: 'alice',
      ...(signal && { signal }),
    });

  void it('creates a tagged run, exposes MLFLOW_* to the process, stores its output and ends FINISHED', async () => {
    const result = await run('main', { accuracy: '0.93' });
    assert.equal(result.status, 'FINISHED');
    const fetched = await client.tracking.getRun(result.runId);
    assert.equal(fetched.info.status, 'FINISHED');
    assert.deepEqual(
      fetched.data.metrics?.map((m) => [m.key, m.value]),
      [['accuracy', 0.93]],
    );
    assert.deepEqual(Object.fromEntries((fetched.data.params ?? []).map((p) => [p.key, p.value])), {
      accuracy: '0.93',
      note: 'none',
    });
    const tags = await tagsOf(result.runId);
    assert.equal(tags['mlflow.source.type'], 'PROJECT');
    assert.equal(tags['mlflow.source.name'], dir);
    assert.equal(tags['mlflow.project.entryPoint'], 'main');
    assert.equal(tags['mlflow.project.env'], 'local');
    assert.equal(tags['mlflow.project.backend'], 'local');
    assert.equal(tags['mlflow.user'], 'alice');
    assert.equal(
      await artifactText(result.runId, 'project_logs/stdout.txt'),
      `experiment ${result.experimentId} logged 200\nnote=none\n`,
    );
    assert.equal(await artifactText(result.runId, 'project_logs/stderr.txt'), 'to-stderr\n');
  });

  void it('uploads the output while the process runs', async () => {
    const pending = runProject({
      source: await fetchProject(dir),
      entryPoint: 'slow',
      params: {},
      client,
      trackingUri: server.baseUrl,
      experimentName: 'projects',
      logUploadIntervalMs: 200,
    });
    const runs = async () =>
      (
        await client.tracking.searchRuns({
          experiment_ids: [(await client.tracking.getExperimentByName('projects')).experiment_id],
        })
      ).runs;
    let midway = '';
    const deadline = Date.now() + 5_000;
    while (midway === '' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      const running = (await runs()).find((r) => r.info.status === 'RUNNING');
      if (running) midway = await artifactText(running.info.run_id, 'project_logs/stdout.txt').catch(() => '');
    }
    assert.equal(midway, 'first\n');
    const result = await pending;
    assert.equal(await artifactText(result.runId, 'project_logs/stdout.txt'), 'first\nsecond\n');
  });

  void it('keeps parameter values inert: no shell injection', async () => {
    const marker = join(dir, 'pwned');
    const result = await run('main', { note: `x; touch ${marker}; echo $(id) \`id\`` });
    assert.equal(result.status, 'FINISHED');
    assert.throws(() => readFileSync(marker));
    assert.match(
      await artifactText(result.runId, 'project_logs/stdout.txt'),
      /note=x; touch .*pwned; echo \$\(id\) `id`\n/,
    );
    await assert.rejects(run('main', { accuracy: '1; touch /tmp/x' }), /'accuracy' must be a float/);
  });

  void it('ends FAILED on a non-zero exit or a signal, KILLED when interrupted', async () => {
    const failed = await run('fail');
    assert.deepEqual([failed.status, failed.exitCode], ['FAILED', 3]);
    assert.equal((await client.tracking.getRun(failed.runId)).info.status, 'FAILED');
    assert.equal(await artifactText(failed.runId, 'project_logs/stdout.txt'), 'failing\n');

    const crashed = await run('crash');
    assert.deepEqual([crashed.status, crashed.signal], ['FAILED', 'SIGKILL']);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const killed = await run('sleep', {}, controller.signal);
    assert.equal(killed.status, 'KILLED');
    assert.ok(Date.now() - started < 10_000);
    assert.equal((await client.tracking.getRun(killed.runId)).info.status, 'KILLED');
  });

  void it('runs a project from a git URL and records the commit', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'plumb-git-'));
    try {
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@x', ...args], {
          cwd: repo,
          encoding: 'utf8',
        }).trim();
      git('init', '-q', '-b', 'main');
      writeFileSync(join(repo, 'MLproject'), MLPROJECT);
      writeFileSync(join(repo, 'log.mjs'), LOGGER);
      git('add', '.');
      git('commit', '-q', '-m', 'project');
      const commit = git('rev-parse', 'HEAD');
      const source = await fetchProject(`file://${repo}`, 'main');
      try {
        const result = await runProject({
          source,
          entryPoint: 'main',
          params: {},
          client,
          trackingUri: server.baseUrl,
        });
        assert.equal(result.status, 'FINISHED');
        const tags = await tagsOf(result.runId);
        assert.equal(tags['mlflow.source.git.commit'], commit);
        assert.equal(tags['mlflow.source.git.repoURL'], `file://${repo}`);
        assert.equal(tags['mlflow.source.git.branch'], 'main');
        assert.equal(tags['mlflow.source.name'], `file://${repo}`);
      } finally {
        await source.cleanup();
      }
      await assert.rejects(fetchProject(`file://${repo}`, '--upload-pack=touch'), /Invalid --version/);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  void it('renders a Kubernetes Job from the template for a new run', async () => {
    writeFileSync(
      join(dir, 'job-template.yaml'),
      `apiVersion: batch/v1
kind: Job
metadata:
  name: "{replaced with MLflow Project name}"
  namespace: mlflow
spec:
  ttlSecondsAfterFinished: 100
  backoffLimit: 0
  template:
    spec:
      containers:
      - name: "{replaced with MLflow Project name}"
        image: "{replaced with URI of Docker image created during Project execution}"
        command: ["{replaced with MLflow Project entry point command}"]
        env:
        - {name: TEAM, value: search}
        resources:
          limits: {memory: 512Mi}
      restartPolicy: Never
`,
    );
    writeFileSync(
      join(dir, 'kubernetes.json'),
      JSON.stringify({
        'kube-context': 'test',
        'repository-uri': 'registry.example.com/demo:1.0',
        'kube-job-template-path': 'job-template.yaml',
        'output-path': 'job.yaml',
        apply: false,
      }),
    );
    const config = readBackendConfig(join(dir, 'kubernetes.json'));
    const result = await runOnKubernetes(
      {
        source: await fetchProject(dir),
        entryPoint: 'main',
        params: { note: "it's" },
        client,
        trackingUri: server.baseUrl,
      },
      config,
      1_700_000_000_000,
    );
    assert.equal(result.applied, false);
    const job = parseYaml(readFileSync(join(dir, 'job.yaml'), 'utf8')) as {
      kind: string;
      metadata: { name: string; namespace: string };
      spec: {
        backoffLimit: number;
        template: { spec: { restartPolicy: string; containers: Record<string, unknown>[] } };
      };
    };
    assert.equal(job.kind, 'Job');
    assert.deepEqual(job.metadata, { name: 'demo-1700000000000', namespace: 'mlflow' });
    assert.equal(job.spec.backoffLimit, 0);
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    const container = job.spec.template.spec.containers[0]!;
    assert.equal(container.name, 'demo');
    assert.equal(container.image, 'registry.example.com/demo:1.0');
    assert.deepEqual(container.command, [
      'bash',
      '-c',
      `node log.mjs 0.5 && echo note='it'"'"'s' && echo to-stderr >&2`,
    ]);
    assert.deepEqual(container.resources, { limits: { memory: '512Mi' } });
    assert.deepEqual(container.env, [
      { name: 'TEAM', value: 'search' },
      { name: 'MLFLOW_TRACKING_URI', value: server.baseUrl },
      { name: 'MLFLOW_RUN_ID', value: result.runId },
      { name: 'MLFLOW_EXPERIMENT_ID', value: result.experimentId },
    ]);
    const fetched = await client.tracking.getRun(result.runId);
    assert.equal(fetched.info.status, 'SCHEDULED');
    assert.equal((await tagsOf(result.runId))['mlflow.project.backend'], 'kubernetes');
    assert.equal(await artifactText(result.runId, 'kubernetes/job.yaml'), readFileSync(join(dir, 'job.yaml'), 'utf8'));
  });
});
