/**
 * MLflow's scoring protocol against the example flavor plugin (a JSON linear model served from a
 * local directory): input formats, params, health endpoints and MLflow's errors and statuses.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadFlavorPlugin } from '../../src/models/flavor-plugin.ts';
import { loadModel, type RunningServer, serveModel } from '../../src/models/model-serving.ts';
import { PLUMB_VERSION } from '../../src/version.ts';

const EXAMPLES = join(import.meta.dirname, '../../examples/flavor-plugins');
// y = 1 + 0.5·x1 − 2·x2
const expected = (x1: number, x2: number, scale = 1) => scale * (1 + 0.5 * x1 - 2 * x2);

void describe('scoring server with the example flavor plugin', () => {
  let served: RunningServer;
  let cache: string;
  const invoke = (body: unknown, contentType = 'application/json') =>
    fetch(`${served.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const predictions = async (body: unknown) => {
    const response = await invoke(body);
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as { predictions: unknown }).predictions;
  };
  const error = async (body: unknown, status: number, code: string) => {
    const response = await invoke(body);
    assert.equal(response.status, status);
    const json = (await response.json()) as { error_code: string; message: string };
    assert.equal(json.error_code, code);
    return json.message;
  };

  before(async () => {
    cache = mkdtempSync(join(tmpdir(), 'plumb-models-'));
    const plugin = await loadFlavorPlugin(join(EXAMPLES, 'json-linear.js'));
    served = await serveModel({ uri: join(EXAMPLES, 'linear-model'), port: 0, plugins: [plugin], cacheDir: cache });
  });
  after(async () => {
    await served.close();
    rmSync(cache, { recursive: true, force: true });
  });

  void it('answers /ping, /health and /version', async () => {
    for (const path of ['/ping', '/health']) assert.equal((await fetch(`${served.url}${path}`)).status, 200);
    assert.equal(await (await fetch(`${served.url}/version`)).text(), PLUMB_VERSION);
  });

  void it('scores dataframe_split, dataframe_records, instances, inputs and CSV alike', async () => {
    const want = [expected(2, 1), expected(-1, 0.5)];
    assert.deepEqual(
      await predictions({
        dataframe_split: {
          columns: ['x1', 'x2'],
          data: [
            [2, 1],
            [-1, 0.5],
          ],
        },
      }),
      want,
    );
    // Columns in another order and an extra column: the signature picks and orders them.
    assert.deepEqual(
      await predictions({
        dataframe_split: {
          columns: ['x2', 'note', 'x1'],
          data: [
            [1, 'a', 2],
            [0.5, 'b', -1],
          ],
        },
      }),
      want,
    );
    assert.deepEqual(
      await predictions({
        dataframe_records: [
          { x1: 2, x2: 1 },
          { x2: 0.5, x1: -1 },
        ],
      }),
      want,
    );
    assert.deepEqual(
      await predictions({
        instances: [
          { x1: 2, x2: 1 },
          { x1: -1, x2: 0.5 },
        ],
      }),
      want,
    );
    assert.deepEqual(await predictions({ inputs: { x1: [2, -1], x2: [1, 0.5] } }), want);
    const csv = await invoke('x1,x2\n2,1\n-1,0.5\n', 'text/csv');
    assert.deepEqual(((await csv.json()) as { predictions: unknown }).predictions, want);
  });

  void it('passes params through the signature: declared defaults, typed values', async () => {
    assert.deepEqual(await predictions({ inputs: { x1: [2], x2: [1] }, params: { scale: 10 } }), [expected(2, 1, 10)]);
    const message = await error(
      { inputs: { x1: [2], x2: [1] }, params: { scale: 'big' } },
      400,
      'INVALID_PARAMETER_VALUE',
    );
    assert.match(message, /Incompatible types for param 'scale'\. Can not safely convert str to double/);
  });

  void it('refuses input that does not match the signature in MLflow words', async () => {
    const missing = await error(
      { dataframe_split: { columns: ['x1', 'x3'], data: [[1, 2]] } },
      400,
      'INVALID_PARAMETER_VALUE',
    );
    assert.match(missing, /^Failed to predict data '.*'\. \nError: Failed to enforce schema of data '.*' with schema /);
    assert.match(
      missing,
      /with schema '\['x1': double \(required\), 'x2': double \(required\)\]'\. Error: Model is missing inputs \['x2'\]\. Note that there were extra inputs: \['x3'\]\.$/,
    );
    const type = await error({ dataframe_records: [{ x1: 'one', x2: 1 }] }, 400, 'INVALID_PARAMETER_VALUE');
    assert.match(type, /Incompatible input types for column x1\. Can not safely convert str to float64\./);
  });

  void it('refuses malformed requests as MLflow does', async () => {
    assert.match(
      await error('{"inputs": [1,', 400, 'BAD_REQUEST'),
      /Ensure that input is a valid JSON formatted string/,
    );
    assert.match(await error([[1, 2]], 400, 'BAD_REQUEST'), /exactly one of the input fields .*Received a list/);
    assert.match(
      await error({ inputs: [[1, 2]], instances: [[1, 2]] }, 400, 'BAD_REQUEST'),
      /Received dictionary with input fields: \['inputs', 'instances'\]\. IMPORTANT: The MLflow Model scoring protocol/,
    );
    const text = await invoke('a=1', 'application/x-www-form-urlencoded');
    assert.equal(text.status, 415);
    assert.match(await text.text(), /only supports the following content types/);
    assert.equal((await invoke('{}', 'application/json; charset=latin-1')).status, 415);
    assert.equal((await fetch(`${served.url}/invocations`)).status, 405);
    assert.equal((await fetch(`${served.url}/predict`)).status, 404);
  });

  void it('a model error inside predict is a 400 with no stack in the answer', async () => {
    const plugin = {
      flavor: 'json_linear',
      load: () => () => {
        throw new Error('secret internals');
      },
    };
    const model = await loadModel(join(EXAMPLES, 'linear-model'), [plugin], 'failing');
    const previous = served.server.model!;
    await served.server.swap(model);
    try {
      const message = await error({ inputs: { x1: [1], x2: [1] } }, 400, 'BAD_REQUEST');
      assert.match(message, /unexpected error while evaluating the model/);
      assert.doesNotMatch(message, /secret internals/);
    } finally {
      await served.server.swap(
        await loadModel(
          join(EXAMPLES, 'linear-model'),
          [await loadFlavorPlugin(join(EXAMPLES, 'json-linear.js'))],
          previous.label,
        ),
      );
    }
  });

  void it('says which flavors it can serve when none matches, and checks plugin modules', async () => {
    await assert.rejects(
      loadModel(join(EXAMPLES, 'linear-model'), [], 'x'),
      /No loader for this model's flavors \(json_linear\)\. Plumb serves: onnx\. Pass --flavor-plugin/,
    );
    await assert.rejects(
      loadFlavorPlugin(join(EXAMPLES, 'linear-model/model.json')),
      /Cannot load flavor plugin|must export 'flavor'/,
    );
  });
});
