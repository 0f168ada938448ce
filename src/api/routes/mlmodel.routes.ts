import type { Readable } from 'node:stream';
import { z } from 'zod';
import { parseArtifactPath } from '../../core/artifact-path.ts';
import { MlflowError } from '../../core/errors.ts';
import { type MlModel, parseMlModel } from '../../models/mlmodel.ts';
import type { Schema } from '../../models/model-schema.ts';
import type { ArtifactService } from '../../tracking/artifact.service.ts';
import type { Router } from '../http-server.ts';
import { parseMessage, required, wire } from '../wire.ts';

/** An MLmodel file is a few KB; anything far larger is not one, and is not read into memory. */
const MAX_MLMODEL_BYTES = 1024 * 1024;

export interface MlModelRouteDeps {
  readonly artifacts: ArtifactService;
  /** The stored location of a registered model version (`model-versions/get-download-uri`). */
  modelVersionUri(name: string, version: string): Promise<string>;
}

const OfRun = z.object({ run_id: wire.string().optional(), path: wire.string().optional() });
const OfVersion = z.object({ name: wire.string().optional(), version: wire.string().optional() });

/**
 * Plumb's own: a model's MLmodel file, parsed and validated by the same parser `plumb models`
 * uses (src/models/mlmodel.ts), so the UI and the registry pages show what serving would load,
 * and a malformed file gets the parser's error naming the field.
 */
export function registerMlModelRoutes(router: Router, deps: MlModelRouteDeps): void {
  const { app } = router;
  for (const prefix of ['/api/2.0/plumb', '/ajax-api/2.0/plumb']) {
    // `path` is the model's directory below the run's artifact root (or its MLmodel file).
    app.get(`${prefix}/runs/mlmodel`, async (request) => {
      const message = parseMessage(OfRun, request.query);
      const root = await deps.artifacts.runRoot(required(message.run_id, 'run_id'));
      const path = parseArtifactPath(`${root}/${mlmodelPathIn(required(message.path, 'path'))}`);
      return { mlmodel: toWireMlModel(await parsedFrom(await deps.artifacts.download(path))) };
    });
    router.remember(`${prefix}/runs/mlmodel`, ['GET']);
    app.get(`${prefix}/model-versions/mlmodel`, async (request) => {
      const message = parseMessage(OfVersion, request.query);
      const uri = await deps.modelVersionUri(required(message.name, 'name'), required(message.version, 'version'));
      return { mlmodel: toWireMlModel(await parsedFrom(await deps.artifacts.downloadUnder(uri, 'MLmodel'))) };
    });
    router.remember(`${prefix}/model-versions/mlmodel`, ['GET']);
  }
}

function mlmodelPathIn(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === 'MLmodel' || trimmed.endsWith('/MLmodel') ? trimmed : `${trimmed}/MLmodel`;
}

async function parsedFrom(file: { body: Readable; size: number }): Promise<MlModel> {
  if (file.size > MAX_MLMODEL_BYTES) {
    file.body.destroy();
    throw MlflowError.invalidParameter(`MLmodel: the file is ${file.size} bytes, larger than any MLmodel file`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of file.body) chunks.push(chunk as Buffer);
  return parseMlModel(Buffer.concat(chunks).toString('utf8'));
}

/** The MLmodel in the JSON shape MLflow itself uses for these fields (snake_case, signature specs as in the file). */
export function toWireMlModel(model: MlModel): Record<string, unknown> {
  const example = model.inputExample;
  return {
    flavors: model.flavors,
    signature: model.signature && {
      inputs: model.signature.inputs && wireSchema(model.signature.inputs),
      outputs: model.signature.outputs && wireSchema(model.signature.outputs),
      params: model.signature.params,
    },
    saved_input_example_info: example && {
      artifact_path: example.artifactPath,
      type: example.type,
      pandas_orient: example.pandasOrient,
      serving_input_path: example.servingInputPath,
    },
    model_uuid: model.modelUuid,
    model_id: model.modelId,
    run_id: model.runId,
    artifact_path: model.artifactPath,
    utc_time_created: model.utcTimeCreated,
    mlflow_version: model.mlflowVersion,
    model_size_bytes: model.modelSizeBytes,
    metadata: model.metadata,
    environments: model.environments,
  };
}

function wireSchema(schema: Schema): Record<string, unknown>[] {
  return schema.kind === 'columns'
    ? schema.specs.map(({ type, name, required }) => ({ type, name, required }))
    : schema.specs.map(({ dtype, shape, name }) => ({ type: 'tensor', 'tensor-spec': { dtype, shape }, name }));
}
