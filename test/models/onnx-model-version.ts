import type { PlumbClient } from '../../src/client/index.ts';
import { linearOnnxModel } from './onnx-builder.ts';

/** The MLmodel of the test's linear ONNX models: float32 [batch, 3] in, `y` float32 [batch, 2] out. */
export const ONNX_MLMODEL = `artifact_path: model
flavors:
  onnx:
    data: model.onnx
    onnx_version: 1.17.0
mlflow_version: 3.11.2
model_uuid: 0f4c2d9e8b7a4c3d9e8f7a6b5c4d3e2f
utc_time_created: '2026-12-08 03:00:00.000000'
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]'
  outputs: '[{"type": "tensor", "name": "y", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]'
  params: null
`;

/** Logs an ONNX model to a new run and registers it as the next version of `name`. */
export async function logOnnxVersion(
  client: PlumbClient,
  name: string,
  weights: number[][],
  bias: number[],
): Promise<string> {
  const run = await client.startRun({ runName: `train-${name}` });
  await run.logArtifact(Buffer.from(ONNX_MLMODEL), 'model/MLmodel');
  await run.logArtifact(linearOnnxModel(weights, bias), 'model/model.onnx');
  await run.end();
  await client.registry.createRegisteredModel({ name }).catch(() => undefined);
  const version = await client.registry.createModelVersion({
    name,
    source: `${run.info.artifact_uri}/model`,
    run_id: run.id,
  });
  return version.version;
}
