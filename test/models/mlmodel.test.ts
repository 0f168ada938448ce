/** The MLmodel parser against files the official client wrote (MLflow 3.11) and against broken ones. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MlflowError } from '../../src/core/errors.ts';
import { parseMlModel } from '../../src/models/mlmodel.ts';
import { formatSchema } from '../../src/models/model-schema.ts';

const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures/mlflow-db/mlartifacts');

function mlmodelFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name === 'MLmodel') found.push(join(dir, entry.name));
    }
  };
  walk(FIXTURES);
  return found;
}

const refused = (text: string, message: RegExp) =>
  assert.throws(
    () => parseMlModel(text),
    (error: unknown) =>
      error instanceof MlflowError && error.code === 'INVALID_PARAMETER_VALUE' && message.test(error.message),
  );

void describe('MLmodel parser', () => {
  void it('reads every MLmodel the official MLflow client wrote in the fixture database', () => {
    const files = mlmodelFiles();
    assert.ok(files.length >= 10, `expected the fixture models, found ${files.length}`);
    for (const file of files) {
      const model = parseMlModel(readFileSync(file, 'utf8'));
      assert.match(model.mlflowVersion ?? '', /^3\.11/, file);
      assert.ok(model.modelUuid, file);
      assert.ok(model.utcTimeCreated, file);
    }
  });

  void it('reads an sklearn model: flavors, column signature, input example, environments', () => {
    const file = mlmodelFiles().find((f) => readFileSync(f, 'utf8').includes('"name": "x1"'))!;
    const model = parseMlModel(readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(model.flavors).sort(), ['python_function', 'sklearn']);
    assert.equal(model.flavors.sklearn?.pickled_model, 'model.pkl');
    assert.equal(model.signature?.inputs?.kind, 'columns');
    assert.equal(
      formatSchema(model.signature!.inputs!),
      "['x1': double (required), 'x2': double (required), 'x3': double (required)]",
    );
    assert.equal(model.signature?.params, undefined);
    assert.deepEqual(model.inputExample, {
      artifactPath: 'input_example.json',
      type: 'dataframe',
      pandasOrient: 'split',
      servingInputPath: 'serving_input_example.json',
    });
    assert.deepEqual(model.environments, { conda: 'conda.yaml', virtualenv: 'python_env.yaml' });
    assert.ok(model.modelSizeBytes! > 0);
    assert.ok('is_signature_from_type_hint' in model.extra, 'unknown keys are kept');
  });

  void it('reads tensor signatures and params schemas', () => {
    const model = parseMlModel(`
flavors: { onnx: { data: model.onnx } }
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]'
  outputs: '[{"type": "tensor", "name": "y", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]'
  params: '[{"name": "temperature", "type": "double", "default": 0.5, "shape": null}]'
metadata: { team: search }
`);
    assert.equal(formatSchema(model.signature!.inputs!), "[Tensor('float32', (-1, 3))]");
    assert.equal(formatSchema(model.signature!.outputs!), "['y': Tensor('float32', (-1, 2))]");
    assert.deepEqual(model.signature?.params, [{ name: 'temperature', type: 'double', default: 0.5, shape: null }]);
    assert.deepEqual(model.metadata, { team: 'search' });
  });

  void it('names the problem in a malformed file', () => {
    refused('flavors: [', /not valid YAML/);
    refused('- a\n- b', /must be a YAML mapping/);
    refused('mlflow_version: 2.0.0', /'flavors' is missing/);
    refused('flavors: onnx', /'flavors' must be a mapping/);
    refused('flavors: { onnx: 3 }', /flavor 'onnx' must be a mapping/);
    refused('flavors: {}\nsignature:\n  inputs: \'[{"type": "double"\'', /signature.inputs: is not valid JSON/);
    refused(
      'flavors: {}\nsignature:\n  inputs: \'[{"type": "decimal"}]\'',
      /signature.inputs\[0\]: unknown column type "decimal"/,
    );
    refused(
      'flavors: {}\nsignature:\n  inputs: \'[{"type": "double", "name": "a"}, {"type": "double"}]\'',
      /names some specs and not others/,
    );
    refused(
      'flavors: {}\nsignature:\n  inputs: \'[{"type": "double"}, {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]\'',
      /mixes tensor and column specs/,
    );
    refused(
      'flavors: {}\nsignature:\n  inputs: \'[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-2]}}]\'',
      /tensor shape must be a list/,
    );
    refused("flavors: {}\nutc_time_created: 'yesterday'", /'utc_time_created' is not a time/);
    refused('flavors: {}\nmodel_uuid: 12', /'model_uuid' must be a string/);
    refused('flavors: {}\nsaved_input_example_info: { type: json }', /needs an 'artifact_path'/);
    refused(
      'flavors: {}\nsignature:\n  params: \'[{"type": "double"}]\'',
      /signature.params\[0\]: a param needs a 'name'/,
    );
  });
});
