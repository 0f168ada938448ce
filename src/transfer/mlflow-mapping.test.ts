import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RegistryEvent } from '../core/registry.ts';
import type { MlflowModelVersion, MlflowRegisteredModel, MlflowRun } from '../store/mlflow-source.ts';
import { replayRegistryEvents } from '../registry/registry-events.ts';
import { toLoggedModel, toMetric, toRegisteredModel, toRun } from './mlflow-mapping.ts';

const MAX = Number.MAX_VALUE;

function aRun(patch: Partial<MlflowRun> = {}): MlflowRun {
  return {
    runId: 'a'.repeat(32),
    experimentId: 1,
    name: 'r',
    userId: 'u',
    status: 'FINISHED',
    startTime: 1,
    endTime: 2,
    deletedTime: null,
    lifecycleStage: 'active',
    artifactUri: 'mlflow-artifacts:/1/aaaa/artifacts',
    params: [],
    tags: [],
    metrics: [],
    latestMetrics: [],
    inputs: [],
    inputTags: [],
    ...patch,
  };
}

function aVersion(version: number, stage: string, patch: Partial<MlflowModelVersion> = {}): MlflowModelVersion {
  return {
    version,
    creationTime: 100 + version,
    lastUpdatedTime: 200 + version,
    description: '',
    userId: null,
    currentStage: stage,
    source: `models:/m-${String(version).repeat(32)}`,
    runId: 'b'.repeat(32),
    runLink: '',
    status: 'READY',
    statusMessage: null,
    storageLocation: null,
    tags: [{ key: `t${version}`, value: 'v' }],
    ...patch,
  };
}

void describe('MLflow → Plumb mapping', () => {
  void it('stores NaN as 0 with is_nan, clamps ±Infinity, keeps MLflow-stored values as they are', () => {
    const point = { key: 'm', timestamp: 5, step: 1 };
    assert.deepEqual(toMetric({ ...point, value: 0, isNan: true }), { ...point, value: 0, isNan: 1 });
    assert.deepEqual(toMetric({ ...point, value: Number.NaN, isNan: false }), { ...point, value: 0, isNan: 1 });
    assert.equal(toMetric({ ...point, value: Number.POSITIVE_INFINITY, isNan: false }).value, MAX);
    assert.equal(toMetric({ ...point, value: Number.NEGATIVE_INFINITY, isNan: false }).value, -MAX);
    assert.equal(toMetric({ ...point, value: -MAX, isNan: false }).value, -MAX);
    assert.equal(toMetric({ ...point, value: 1e-300, isNan: false }).value, 1e-300);
  });

  void it('a logged-model metric stored as NULL (MLflow keeps no is_nan there) is NaN', () => {
    const model = toLoggedModel({
      modelId: 'm-1',
      experimentId: 1,
      name: 'm',
      artifactLocation: 'x',
      creationTime: 1,
      lastUpdatedTime: 2,
      status: 2,
      statusMessage: null,
      modelType: null,
      sourceRunId: null,
      lifecycleStage: null,
      params: [],
      tags: [{ key: 'k', value: null }],
      metrics: [{ key: 'acc', timestamp: 1, step: 0, value: null, runId: 'r', datasetName: null, datasetDigest: null }],
    });
    assert.equal(model.status, 'READY');
    assert.equal(model.lifecycleStage, 'active');
    assert.deepEqual(model.tags, [{ key: 'k', value: '' }]);
    assert.deepEqual(
      [model.metrics[0]?.isNan, model.metrics[0]?.datasetName, model.metrics[0]?.datasetDigest],
      [1, '', ''],
    );
  });

  void it("runs the experiment's delete marked take its deletion time, runs deleted earlier keep theirs", () => {
    const deletedAt = 1000;
    const byDelete = toRun(aRun({ lifecycleStage: 'deleted', deletedTime: 1002 }), deletedAt);
    const earlier = toRun(aRun({ lifecycleStage: 'deleted', deletedTime: 900 }), deletedAt);
    const unknown = toRun(aRun({ lifecycleStage: 'deleted', deletedTime: null }), deletedAt);
    const active = toRun(aRun({ deletedTime: 5 }), null);
    assert.deepEqual([byDelete.deletedTime, earlier.deletedTime, unknown.deletedTime], [1000, 900, 1000]);
    assert.equal(active.deletedTime, null);
  });

  void it('splits MLflow inputs into dataset inputs, model inputs and outputs; drops tags of outputs', () => {
    const run = toRun(
      aRun({
        inputs: [
          {
            inputUuid: 'i1',
            sourceType: 'DATASET',
            sourceId: 'd1',
            destinationType: 'RUN',
            destinationId: 'a',
            step: 0,
          },
          {
            inputUuid: 'i2',
            sourceType: 'RUN_INPUT',
            sourceId: 'a',
            destinationType: 'MODEL_INPUT',
            destinationId: 'm-1',
            step: 0,
          },
          {
            inputUuid: 'i3',
            sourceType: 'RUN_OUTPUT',
            sourceId: 'a',
            destinationType: 'MODEL_OUTPUT',
            destinationId: 'm-2',
            step: 7,
          },
        ],
        inputTags: [
          { inputUuid: 'i1', name: 'mlflow.data.context', value: 'train' },
          { inputUuid: 'i3', name: 'x', value: 'y' },
        ],
      }),
      null,
    );
    assert.deepEqual(run.inputs, [
      { inputUuid: 'i1', sourceType: 'DATASET', sourceId: 'd1' },
      { inputUuid: 'i2', sourceType: 'MODEL', sourceId: 'm-1' },
    ]);
    assert.deepEqual(run.outputs, [{ modelId: 'm-2', step: 7 }]);
    assert.deepEqual(
      run.inputTags.map((t) => t.inputUuid),
      ['i1'],
    );
  });

  void it('a run status MLflow does not define is refused with the run id', () => {
    assert.throws(() => toRun(aRun({ status: 'PAUSED' }), null), /Run a+ has status 'PAUSED'/);
  });

  void it('leaves soft-deleted versions out, keeps their numbers used, and writes a history that replays to the result', () => {
    const source: MlflowRegisteredModel = {
      name: 'clf',
      creationTime: 10,
      lastUpdatedTime: 20,
      description: 'd',
      tags: [{ key: 'team', value: 'ml' }],
      versions: [
        aVersion(1, 'Archived'),
        aVersion(2, 'Production'),
        aVersion(3, 'Deleted_Internal', { source: 'REDACTED-SOURCE-PATH', runId: 'REDACTED-RUN-ID' }),
      ],
      aliases: [
        { alias: 'champion', version: 2 },
        { alias: 'ghost', version: 3 },
      ],
    };
    const model = toRegisteredModel(source);
    assert.deepEqual(
      model.versions.map((v) => [v.version, v.currentStage, v.modelId]),
      [
        [1, 'Archived', `m-${'1'.repeat(32)}`],
        [2, 'Production', `m-${'2'.repeat(32)}`],
      ],
    );
    assert.equal(model.nextVersion, 4);
    assert.deepEqual(model.aliases, [{ alias: 'champion', version: 2 }]);
    const events: RegistryEvent[] = model.events.map((e, i) => ({ ...e, id: i + 1 }));
    assert.deepEqual(
      events.map((e) => e.revision),
      [1, 2, 3, 4, 5, 6],
    );
    const replayed = replayRegistryEvents(events);
    assert.equal(replayed.description, 'd');
    assert.deepEqual(replayed.tags, { team: 'ml' });
    assert.deepEqual(
      [...replayed.versions].map(([v, s]) => [v, s.currentStage, s.tags]),
      [
        [1, 'Archived', { t1: 'v' }],
        [2, 'Production', { t2: 'v' }],
      ],
    );
    assert.deepEqual([...replayed.aliases], [['champion', 2]]);
  });
});
