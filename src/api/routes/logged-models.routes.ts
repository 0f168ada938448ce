import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { baseName, parseArtifactPath } from '../../core/artifact-path.ts';
import { parseLoggedModelStatus } from '../../core/logged-model.ts';
import type { ArtifactService } from '../../tracking/artifact.service.ts';
import type { LoggedModelService } from '../../tracking/logged-model.service.ts';
import { type HttpMethod, jsonBody } from '../http-server.ts';
import { toWireLoggedModel } from '../logged-model-mappers.ts';
import { listResponse } from '../mappers.ts';
import { parseMessage, required, wire } from '../wire.ts';
import { sendArtifact } from './artifacts.routes.ts';
import { toTags } from './experiments.routes.ts';

export interface LoggedModelRouteDeps {
  readonly loggedModels: LoggedModelService;
  readonly artifacts: ArtifactService;
}

const s = wire.string;
const keyValues = () => wire.list(wire.tag());
const Create = z.object({
  experiment_id: s().optional(),
  name: s().optional(),
  model_type: s().optional(),
  source_run_id: s().optional(),
  params: keyValues(),
  tags: keyValues(),
});
const Get = z.object({ allow_deleted: wire.bool().optional() });
// The enum by name, as proto-JSON writes it, or by number.
const Finalize = z.object({ status: z.union([wire.int64(), s()]).optional() });
const Search = z.object({
  experiment_ids: wire.list(s()),
  filter: s().optional(),
  datasets: wire.list(z.object({ dataset_name: s().optional(), dataset_digest: s().optional() })),
  max_results: wire.int64().optional(),
  order_by: wire.list(
    z.object({
      field_name: s().optional(),
      ascending: wire.bool().optional(),
      dataset_name: s().optional(),
      dataset_digest: s().optional(),
    }),
  ),
  page_token: s().optional(),
});
const Tags = z.object({ tags: keyValues() });
const Params = z.object({ params: keyValues() });
const ListArtifacts = z.object({
  artifact_directory_path: s().optional(),
  path: s().optional(),
  page_token: s().optional(),
});
const Empty = z.object({});
const STATUS_NUMBERS: Readonly<Record<number, string>> = { 1: 'PENDING', 2: 'READY', 3: 'UPLOAD_FAILED' };

type Handler<S extends z.ZodType> = (
  message: z.infer<S>,
  params: Record<string, string>,
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<unknown>;

/**
 * MLflow 3's logged-model RPCs. Their paths carry the model id (and a tag key), which Router's
 * endpoint() cannot express, so they are registered here under both prefixes directly.
 */
export function registerLoggedModelRoutes(app: FastifyInstance, deps: LoggedModelRouteDeps): void {
  const { loggedModels } = deps;
  const route = <S extends z.ZodType>(method: HttpMethod, path: string, schema: S, handler: Handler<S>) => {
    for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
      app.route({
        method,
        url: `${prefix}/logged-models${path}`,
        handler: async (request, reply) => {
          const input = request.method === 'GET' ? request.query : jsonBody(request);
          const params = request.params as Record<string, string>;
          return handler(parseMessage(schema, input), params, request, reply);
        },
      });
    }
  };
  const modelIdOf = (params: Record<string, string>) => required(params.model_id, 'model_id');

  route('POST', '', Create, async (m) => {
    const model = await loggedModels.create({
      experimentId: required(m.experiment_id, 'experiment_id'),
      name: m.name,
      modelType: m.model_type,
      sourceRunId: m.source_run_id,
      params: toTags(m.params, 'params'),
      tags: toTags(m.tags, 'tags'),
    });
    return { model: toWireLoggedModel(model) };
  });
  route('POST', '/search', Search, async (m) => {
    const page = await loggedModels.search({
      experimentIds: m.experiment_ids,
      filter: m.filter,
      datasets: m.datasets.map((d) => ({ name: d.dataset_name ?? '', digest: d.dataset_digest || undefined })),
      orderBy: m.order_by.map((o) => ({
        fieldName: o.field_name ?? '',
        ascending: o.ascending ?? true,
        datasetName: o.dataset_name || undefined,
        datasetDigest: o.dataset_digest || undefined,
      })),
      maxResults: m.max_results,
      pageToken: m.page_token,
    });
    return listResponse('models', page.items.map(toWireLoggedModel), page.nextPageToken);
  });
  route('GET', '/:model_id', Get, async (m, params) => ({
    model: toWireLoggedModel(await loggedModels.get(modelIdOf(params), m.allow_deleted ?? false)),
  }));
  route('PATCH', '/:model_id', Finalize, async (m, params) => {
    const raw = required(m.status, 'status');
    const status = parseLoggedModelStatus(typeof raw === 'number' ? (STATUS_NUMBERS[raw] ?? String(raw)) : raw);
    return { model: toWireLoggedModel(await loggedModels.finalize(modelIdOf(params), status)) };
  });
  route('DELETE', '/:model_id', Empty, async (_m, params) => {
    await loggedModels.delete(modelIdOf(params));
    return {};
  });
  route('PATCH', '/:model_id/tags', Tags, async (m, params) => {
    await loggedModels.setTags(modelIdOf(params), toTags(m.tags, 'tags'));
    return {};
  });
  // A tag key may hold slashes: the rest of the path is the key.
  route('DELETE', '/:model_id/tags/*', Empty, async (_m, params) => {
    await loggedModels.deleteTag(modelIdOf(params), required(params['*'], 'tag_key'));
    return {};
  });
  route('POST', '/:model_id/params', Params, async (m, params) => {
    await loggedModels.logParams(modelIdOf(params), toTags(m.params, 'params'));
    return {};
  });
  route('GET', '/:model_id/artifacts/directories', ListArtifacts, async (m, params) => {
    const model = await loggedModels.get(modelIdOf(params));
    const files = await deps.artifacts.listUnder(model.artifactLocation, m.artifact_directory_path ?? m.path);
    return {
      root_uri: model.artifactLocation,
      ...listResponse(
        'files',
        files.map((f) =>
          f.isDir ? { path: f.path, is_dir: true } : { path: f.path, is_dir: false, file_size: f.size },
        ),
      ),
    };
  });

  // The UI's file viewer (a Flask route in MLflow, served under /ajax-api only).
  app.get('/ajax-api/2.0/mlflow/logged-models/:model_id/artifacts/files', async (request, reply) => {
    const query = parseMessage(z.object({ artifact_file_path: s().optional() }), request.query);
    const path = parseArtifactPath(required(query.artifact_file_path, 'artifact_file_path'));
    const model = await loggedModels.get(modelIdOf(request.params as Record<string, string>));
    const download = await deps.artifacts.downloadUnder(model.artifactLocation, path);
    return sendArtifact(reply, download, baseName(path), 'inline');
  });
}
