import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunInfo } from '../core/entities.ts';
import type { LoggedModel } from '../core/logged-model.ts';
import {
  checkNoRelativePaths,
  isLocalUri,
  parseModelsUri,
  splitUri,
  validateModelVersionSource,
} from './model-source.ts';

const run = (artifactUri: string): RunInfo => ({
  runId: 'r1',
  experimentId: '1',
  runName: 'r',
  userId: '',
  status: 'RUNNING',
  startTime: 1,
  endTime: null,
  artifactUri,
  lifecycleStage: 'active',
});

const invalid = (e: { code?: string }) => e.code === 'INVALID_PARAMETER_VALUE';

void describe('model version sources', () => {
  void it('splits URIs as urlsplit does', () => {
    assert.deepEqual(splitUri('s3://bucket/a/b?x=1#f'), { scheme: 's3', netloc: 'bucket', path: '/a/b' });
    assert.deepEqual(splitUri('runs:/abc/model'), { scheme: 'runs', netloc: '', path: '/abc/model' });
    assert.deepEqual(splitUri('/tmp/x'), { scheme: '', netloc: '', path: '/tmp/x' });
  });

  void it('tells local sources from remote ones; file: naming another host is an error', () => {
    assert.equal(isLocalUri('/tmp/x'), true);
    assert.equal(isLocalUri('relative/x'), true);
    assert.equal(isLocalUri('file:///tmp/x'), true);
    assert.equal(isLocalUri('file://localhost/tmp/x'), true);
    assert.equal(isLocalUri('s3://bucket/x'), false);
    assert.equal(isLocalUri('mlflow-artifacts:/1/x'), false);
    assert.throws(() => isLocalUri('file://evil.example/x'), invalid);
  });

  void it('refuses relative parts in remote sources, however they are encoded', () => {
    for (const ok of [
      's3://b/a/model',
      'runs:/r1/model',
      'mlflow-artifacts://host:5000/1/r/artifacts/m',
      'models:/m/1',
    ]) {
      checkNoRelativePaths(ok);
    }
    for (const bad of [
      's3://b/../x',
      's3://b/a/%2E%2E/x',
      's3://b/a/%252e%252e/x',
      's3://b/a/./x',
      's3://b/a%00',
      'http://h/api/2.0/mlflow-artifacts/artifacts/..%2f..%2fetc',
      'ftp://host',
      'runs:model',
    ]) {
      assert.throws(() => checkNoRelativePaths(bad), invalid, bad);
    }
  });

  void it('accepts a local source only within the local artifact directory of its run', async () => {
    const lookup = async (id: string) => (id === 'r1' ? run('/data/art/1/r1/artifacts') : undefined);
    const lookups = { getRunInfo: lookup, getLoggedModel: async () => undefined };
    const check = (source: string, runId = 'r1', extra: { modelId?: string; isPrompt?: boolean } = {}) =>
      validateModelVersionSource(
        { source, runId, modelId: extra.modelId ?? '', isPrompt: extra.isPrompt ?? false },
        lookups,
      );
    await check('/data/art/1/r1/artifacts/model');
    await check('file:///data/art/1/r1/artifacts');
    await assert.rejects(check('/data/art/1/r1/artifacts-other/model'), invalid);
    await assert.rejects(check('/data/art/1/r1/artifacts/../../r2'), invalid);
    await assert.rejects(check('/data/art/1/r1/artifacts/model', ''), invalid);
    await assert.rejects(
      check('/data/art/1/r1/artifacts/model', 'r1', { modelId: 'm-1' }),
      (e: { code?: string }) => e.code === 'RESOURCE_DOES_NOT_EXIST',
    );
    await assert.rejects(check('/x', 'r2'), (e: { code?: string }) => e.code === 'RESOURCE_DOES_NOT_EXIST');
    await check('/anything/at/all', '', { isPrompt: true });
    const proxied = async () => run('mlflow-artifacts:/1/r1/artifacts');
    await assert.rejects(
      validateModelVersionSource(
        { source: '/tmp/m', runId: 'r1', modelId: '', isPrompt: false },
        { getRunInfo: proxied, getLoggedModel: async () => undefined },
      ),
      invalid,
    );
  });

  void it("with a model_id, accepts a local source only within that logged model's local artifact directory", async () => {
    const model = { artifactLocation: '/data/art/1/models/m-1/artifacts' } as LoggedModel;
    const lookups = {
      getRunInfo: async () => undefined,
      getLoggedModel: async (id: string) => (id === 'm-1' ? model : undefined),
    };
    const check = (source: string) =>
      validateModelVersionSource({ source, runId: '', modelId: 'm-1', isPrompt: false }, lookups);
    await check('/data/art/1/models/m-1/artifacts/MLmodel');
    await check('models:/m-1');
    await check('s3://bucket/x');
    await assert.rejects(check('/data/art/1/models/m-2/artifacts'), invalid);
    await assert.rejects(check('/data/art/1/models/m-1/artifacts/../../m-2'), invalid);
    await assert.rejects(check('s3://bucket/../x'), invalid);
  });

  void it('parses models:/ URIs by version, stage, latest, alias or logged model id', () => {
    assert.deepEqual(parseModelsUri('models:/m/3'), { kind: 'version', name: 'm', version: 3 });
    assert.deepEqual(parseModelsUri('models:/a/b/Production'), { kind: 'stage', name: 'a/b', stage: 'Production' });
    assert.deepEqual(parseModelsUri('models:/m/latest'), { kind: 'latest', name: 'm' });
    assert.deepEqual(parseModelsUri('models:/m@champ'), { kind: 'alias', name: 'm', alias: 'champ' });
    assert.deepEqual(parseModelsUri('models:/m-abc'), { kind: 'logged-model', modelId: 'm-abc' });
    assert.equal(parseModelsUri('s3://b/m'), undefined);
    for (const bad of ['models:m/1', 'models:/', 'models:/m/', 'models:/@a', 'models:/m@']) {
      assert.throws(() => parseModelsUri(bad), invalid, bad);
    }
  });
});
