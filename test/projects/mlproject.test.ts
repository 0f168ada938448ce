/** MLproject parsing, parameter typing and safe substitution, environment planning. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MlflowError } from '../../src/core/errors.ts';
import { formatCommand, shellQuote } from '../../src/projects/command-template.ts';
import { defaultEnvManager, planEnvironment } from '../../src/projects/environments.ts';
import { entryPointOf, parseProject, resolveCommand } from '../../src/projects/mlproject.ts';

const PROJECT = `
name: tutorial
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      l1_ratio: {type: float, default: 0.1}
      epochs: {type: int, default: 10}
      data: path
      source: {type: uri, default: "s3://bucket/data.csv"}
      note: {type: string, default: "hello world"}
    command: "python train.py --alpha {alpha} --l1 {l1_ratio} --epochs {epochs} --data {data} --source {source} --note {note} --json '{{\\"a\\": 1}}'"
  validate:
    command: "python validate.py"
`;

const invalid = (fn: () => unknown, message: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof MlflowError && e.code === 'INVALID_PARAMETER_VALUE' && message.test(e.message),
  );

void describe('MLproject', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-mlproject-'));
    writeFileSync(join(dir, 'python_env.yaml'), 'python: "3.11"\ndependencies:\n  - numpy\n');
    writeFileSync(join(dir, 'conda.yaml'), 'name: x\n');
    writeFileSync(join(dir, 'score.py'), 'print(1)\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('reads entry points, typed parameters with defaults and the environment', () => {
    const project = parseProject(PROJECT, dir);
    assert.equal(project.name, 'tutorial');
    assert.deepEqual(Object.keys(project.entryPoints), ['main', 'validate']);
    assert.deepEqual(
      project.entryPoints.main!.parameters.find((p) => p.name === 'data'),
      { name: 'data', type: 'path' },
    );
    assert.deepEqual(
      project.entryPoints.main!.parameters.find((p) => p.name === 'epochs'),
      {
        name: 'epochs',
        type: 'int',
        default: '10',
      },
    );
    assert.deepEqual(project.environment, { kind: 'python', file: join(dir, 'python_env.yaml') });
    assert.equal(defaultEnvManager(project.environment), 'virtualenv');
  });

  void it('substitutes typed, quoted values; extra parameters follow as --key value', () => {
    const main = parseProject(PROJECT, dir).entryPoints.main!;
    const { command, params } = resolveCommand(main, { data: 'in/train.csv', alpha: '0.3', extra: 'x y' }, '/work');
    assert.equal(
      command,
      `python train.py --alpha 0.3 --l1 0.1 --epochs 10 --data /work/in/train.csv --source s3://bucket/data.csv --note 'hello world' --json '{"a": 1}' --extra 'x y'`,
    );
    assert.deepEqual(params, {
      alpha: '0.3',
      l1_ratio: '0.1',
      epochs: '10',
      data: '/work/in/train.csv',
      source: 's3://bucket/data.csv',
      note: 'hello world',
      extra: 'x y',
    });
  });

  void it('refuses missing and mistyped parameters', () => {
    const main = parseProject(PROJECT, dir).entryPoints.main!;
    invalid(() => resolveCommand(main, {}, '/'), /No value given for missing parameters: 'data'/);
    invalid(() => resolveCommand(main, { data: 'x', alpha: 'high' }, '/'), /'alpha' must be a float, got 'high'/);
    invalid(() => resolveCommand(main, { data: 'x', epochs: '2.5' }, '/'), /'epochs' must be an int/);
    invalid(
      () => resolveCommand(main, { data: 'x', source: 'relative/file' }, '/'),
      /Expected URI for parameter source/,
    );
    invalid(() => resolveCommand(main, { data: 'x', 'bad key;': '1' }, '/'), /Invalid parameter name/);
  });

  void it('quotes like shlex.quote, so no value becomes shell syntax', () => {
    assert.equal(shellQuote('plain-1.0/x'), 'plain-1.0/x');
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote("a'; rm -rf / #"), `'a'"'"'; rm -rf / #'`);
    assert.equal(shellQuote('$(id) `id` $HOME'), `'$(id) \`id\` $HOME'`);
    assert.equal(formatCommand('echo {a} {{b}}', { a: shellQuote('x y') }), "echo 'x y' {b}");
    invalid(() => formatCommand('echo {missing}', {}), /uses \{missing\}, which is not a parameter/);
  });

  void it('names what is wrong in a malformed MLproject', () => {
    invalid(() => parseProject('entry_points: [', dir), /not valid YAML/);
    invalid(() => parseProject('entry_points: {main: {parameters: {}}}', dir), /entry point 'main' needs a 'command'/);
    invalid(
      () => parseProject('entry_points: {main: {command: x, parameters: {a: {type: decimal}}}}', dir),
      /parameter 'a' of entry point 'main' has unknown type "decimal"/,
    );
    invalid(() => parseProject('conda_env: conda.yaml\npython_env: python_env.yaml', dir), /at most one environment/);
    invalid(() => parseProject('conda_env: missing.yaml', dir), /names missing.yaml, which does not exist/);
    invalid(() => parseProject('docker_env: {volumes: []}', dir), /'docker_env' needs an 'image'/);
  });

  void it('runs .py and .sh files as entry points, as MLflow does', () => {
    const project = parseProject('entry_points: {main: {command: "true"}}', dir);
    assert.equal(entryPointOf(project, 'score.py').command, 'python score.py');
    invalid(() => entryPointOf(project, 'nope'), /Could not find nope among entry points \["main"\]/);
  });

  void it('refuses conda, virtualenv and docker when their tool is not on PATH, and plans them when it is', () => {
    const bin = mkdtempSync(join(tmpdir(), 'plumb-bin-'));
    try {
      const env = { MLFLOW_RUN_ID: 'r1', MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000', MLFLOW_EXPERIMENT_ID: '0' };
      const docker = parseProject(
        'docker_env: {image: "acme/train:1", volumes: ["/data:/data"], environment: [["A", "1"], "B"]}',
        dir,
      );
      const conda = parseProject('conda_env: conda.yaml', dir);
      for (const [manager, environment, tool] of [
        ['docker', docker.environment, 'docker'],
        ['conda', conda.environment, 'conda'],
        ['virtualenv', parseProject(PROJECT, dir).environment, 'virtualenv'],
      ] as const) {
        invalid(
          () => planEnvironment({ manager, environment, projectDir: dir, command: 'true', env, path: bin }),
          new RegExp(`'${tool}' is not on PATH\\. Install ${tool}, or run the project as-is .* --env-manager local`),
        );
      }
      writeFileSync(join(bin, 'docker'), '#!/bin/sh\n');
      chmodSync(join(bin, 'docker'), 0o755);
      const plan = planEnvironment({
        manager: 'docker',
        environment: docker.environment,
        projectDir: dir,
        command: "python train.py --note 'a b'",
        env,
        path: bin,
      });
      assert.deepEqual(plan.argv, [
        'docker',
        'run',
        '--rm',
        '-v',
        `${dir}:/mlflow/projects/code`,
        '-w',
        '/mlflow/projects/code',
        '--network',
        'host',
        '-v',
        '/data:/data',
        '-e',
        'MLFLOW_RUN_ID=r1',
        '-e',
        'MLFLOW_TRACKING_URI=http://127.0.0.1:5000',
        '-e',
        'MLFLOW_EXPERIMENT_ID=0',
        '-e',
        'A=1',
        '-e',
        'B',
        'acme/train:1',
        'bash',
        '-c',
        "python train.py --note 'a b'",
      ]);
      assert.deepEqual(
        planEnvironment({ manager: 'local', environment: docker.environment, projectDir: dir, command: 'x', env }).argv,
        ['bash', '-c', 'x'],
      );
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
