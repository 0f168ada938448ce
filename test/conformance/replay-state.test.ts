import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Body, Json, RecordedRequest, WireFixture } from './fixtures.ts';
import { ReplayState, valueAt } from './replay-state.ts';

const RECORDED_RUN = '3029c1be3b7a45d8b3bf96efc326df6b';
const LIVE_RUN = 'f'.repeat(32);

function fixture(file: string, request: Partial<RecordedRequest>, response?: Json): WireFixture {
  const body: Body = response === undefined ? { kind: 'none' } : { kind: 'json', value: response };
  return {
    file,
    seq: Number.parseInt(file, 10),
    label: file,
    madeBy: 'client',
    note: '',
    request: { method: 'POST', path: '/', query: {}, headers: {}, body: { kind: 'none' }, ...request },
    response: { status: 200, contentType: 'application/json', body },
    volatileResponse: [],
  };
}

const json = (value: Json): Body => ({ kind: 'json', value });
const createExperiment = fixture(
  '001-exp.json',
  { path: '/api/2.0/mlflow/experiments/create' },
  { experiment_id: '1' },
);
const recordedRun = { run: { info: { run_id: RECORDED_RUN, experiment_id: '1', start_time: 1700000000000 } } };
const createRun = fixture(
  '002-run.json',
  { path: '/api/2.0/mlflow/runs/create', body: json({ experiment_id: '1', start_time: 1700000000000 }) },
  recordedRun,
);
const searchPage1 = fixture(
  '003-search.json',
  { path: '/api/2.0/mlflow/runs/search' },
  { next_page_token: 'recorded-token' },
);

/** A state that has replayed the three calls above, with Plumb answering experiment 7, LIVE_RUN and a live token. */
function replayed(): ReplayState {
  const state = new ReplayState([createExperiment, createRun, searchPage1]);
  state.request(createExperiment);
  state.learn(createExperiment, { experiment_id: '7' });
  state.request(createRun);
  state.learn(createRun, { run: { info: { run_id: LIVE_RUN, experiment_id: '7', start_time: 1700000000000 } } });
  state.learn(searchPage1, { next_page_token: 'live-token' });
  return state;
}

void describe('ReplayState', () => {
  void it('puts live run ids into paths, query strings and JSON bodies, artifact paths included', () => {
    const call = fixture('010-x.json', {
      method: 'GET',
      path: `/api/2.0/mlflow-artifacts/artifacts/1/${RECORDED_RUN}/artifacts/a.txt`,
      query: { run_id: [RECORDED_RUN], path: [`1/${RECORDED_RUN}/artifacts`] },
      body: json({ run_id: RECORDED_RUN, source: `runs:/${RECORDED_RUN}/model` }),
    });
    const out = replayed().request(call);
    assert.equal(
      out.target,
      `/api/2.0/mlflow-artifacts/artifacts/7/${LIVE_RUN}/artifacts/a.txt?run_id=${LIVE_RUN}&path=7%2F${LIVE_RUN}%2Fartifacts`,
    );
    assert.deepEqual(JSON.parse(String(out.init.body)), { run_id: LIVE_RUN, source: `runs:/${LIVE_RUN}/model` });
    assert.deepEqual(out.dangling, []);
  });

  void it('maps experiment ids only where a key says they are experiment ids', () => {
    const call = fixture('011-x.json', {
      query: { experiment_id: ['1'] },
      body: json({ experiment_ids: ['1', '999'], max_results: 1, key: '1' }),
    });
    const out = replayed().request(call);
    assert.equal(out.target, '/?experiment_id=7');
    assert.deepEqual(JSON.parse(String(out.init.body)), { experiment_ids: ['7', '999'], max_results: 1, key: '1' });
  });

  void it('sends the live page token in place of the recorded one', () => {
    const call = fixture('012-x.json', {
      query: { page_token: ['recorded-token'] },
      body: json({ page_token: 'recorded-token' }),
    });
    const out = replayed().request(call);
    assert.equal(out.target, '/?page_token=live-token');
    assert.deepEqual(JSON.parse(String(out.init.body)), { page_token: 'live-token' });
  });

  void it('names the fixture behind a recorded id that never got a live counterpart', () => {
    const state = new ReplayState([createRun]);
    state.learn(createRun, { error_code: 'INTERNAL_ERROR', message: 'boom' });
    const out = state.request(fixture('013-x.json', { body: json({ run_id: RECORDED_RUN }) }));
    assert.deepEqual(out.dangling, [`${RECORDED_RUN} (from 002-run.json) has no live counterpart`]);
  });

  void it('rewrites the recorded response with live ids before comparison', () => {
    const expected = replayed().expected(
      fixture(
        '014-x.json',
        {},
        { run_id: RECORDED_RUN, artifact_uri: `mlflow-artifacts:/1/${RECORDED_RUN}/artifacts` },
      ),
    );
    assert.deepEqual(expected.body, {
      kind: 'json',
      value: { run_id: LIVE_RUN, artifact_uri: `mlflow-artifacts:/7/${LIVE_RUN}/artifacts` },
    });
  });

  void it('pins volatile ids it has mapped and timestamps the client sent, and nothing else', () => {
    const state = replayed();
    const get = fixture(
      '015-x.json',
      {},
      { run: { info: { ...recordedRun.run.info, end_time: 1795728298304, user_id: 'u' } } },
    );
    const pin = state.pinFor(get);
    assert.equal(pin('/run/info/run_id', LIVE_RUN), LIVE_RUN);
    assert.equal(pin('/run/info/experiment_id', '7'), '7');
    assert.equal(pin('/run/info/start_time', 1700000000000), 1700000000000);
    assert.equal(pin('/run/info/end_time', 1795728298304), undefined);
    assert.equal(pin('/run/info/user_id', 'u'), undefined);
  });

  void it('reads values by JSON pointer', () => {
    assert.equal(valueAt({ a: [{ 'b/c': 1 }] }, '/a/0/b~1c'), 1);
    assert.equal(valueAt({ a: [] }, '/a/3'), undefined);
    assert.equal(valueAt({ a: 'text' }, '/a/b'), undefined);
  });
});
