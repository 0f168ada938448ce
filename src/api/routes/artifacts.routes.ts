import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import mime from 'mime-types';
import { z } from 'zod';
import { ARTIFACT_ROOT, type ArtifactPath, baseName, parseArtifactPath } from '../../core/artifact-path.ts';
import { MlflowError } from '../../core/errors.ts';
import type { ArtifactService } from '../../tracking/artifact.service.ts';
import { limitBytes } from '../../tracking/digesting-stream.ts';
import type { RunSnapshotService } from '../../tracking/run-snapshot.service.ts';
import type { Router } from '../http-server.ts';
import { listResponse } from '../mappers.ts';
import { parseMessage, required, wire } from '../wire.ts';
import { runIdOf } from './runs.routes.ts';

const PROXY = '/api/2.0/mlflow-artifacts';
/** The UI's upload-artifact route takes small files only, as MLflow's does. */
const UI_UPLOAD_LIMIT = 10 * 1024 * 1024;
/** Types a browser would render or run (HTML, any XML, script): what the UI shows inline goes out as plain text. */
function isActiveContent(type: string): boolean {
  return (
    /^(text\/html|text\/xml|application\/xml|text\/xsl|text\/javascript|application\/(x-)?javascript|application\/ecmascript)$/.test(
      type,
    ) || type.endsWith('+xml')
  );
}

/** RFC 6266: an ASCII fallback name, and the exact name UTF-8 encoded for clients that read it. */
function contentDisposition(kind: 'attachment' | 'inline', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (fallback === name) return `${kind}; filename="${name}"`;
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export interface ArtifactRouteDeps {
  readonly artifacts: ArtifactService;
  readonly snapshots: RunSnapshotService;
  /** The stored location of a registered model version (`model-versions/get-download-uri`). */
  modelVersionUri(name: string, version: string): Promise<string>;
  readonly serveArtifacts: boolean;
}

function wildcardPath(request: FastifyRequest): ArtifactPath {
  return parseArtifactPath((request.params as { '*': string })['*']);
}

function contentLength(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  return header === undefined ? undefined : Number(header);
}

function toWireFile(file: { path: string; isDir: boolean; size?: number | undefined }) {
  return file.isDir ? { path: file.path, is_dir: true } : { path: file.path, is_dir: false, file_size: file.size };
}

export async function sendArtifact(
  reply: FastifyReply,
  download: Awaited<ReturnType<ArtifactService['download']>>,
  name: string,
  disposition: 'attachment' | 'inline',
): Promise<FastifyReply> {
  let type = mime.lookup(name) || 'application/octet-stream';
  if (disposition === 'inline' && isActiveContent(type)) type = 'text/plain';
  void reply
    .header('content-type', type)
    .header('content-length', download.size)
    .header('content-disposition', contentDisposition(disposition, name))
    .header('x-content-type-options', 'nosniff');
  if (download.entry) {
    // RFC 9530 digest of the stored bytes, plus a plain hex form for simple clients.
    void reply
      .header('repr-digest', `sha-256=:${Buffer.from(download.entry.sha256, 'hex').toString('base64')}:`)
      .header('x-plumb-sha256', download.entry.sha256);
  }
  return reply.send(download.body);
}

/**
 * Routes whose request body is the artifact's bytes, streamed straight to storage: their own
 * encapsulated scope, so no JSON or size-limited parser ever buffers an upload.
 */
function registerStreamingRoutes(app: FastifyInstance, deps: ArtifactRouteDeps): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    scope.put(`${PROXY}/artifacts/*`, async (request) => {
      requireServing(deps);
      await deps.artifacts.upload(wildcardPath(request), bodyStream(request), {
        contentLength: contentLength(request),
      });
      return {};
    });
    scope.put(`${PROXY}/mpu/parts/*`, async (request, reply) => {
      requireServing(deps);
      const query = parseMessage(
        z.object({ upload_id: wire.string().optional(), part_number: wire.int64().optional() }),
        request.query,
      );
      const etag = await deps.artifacts.uploadPart(
        wildcardPath(request),
        required(query.upload_id, 'upload_id'),
        required(query.part_number, 'part_number'),
        bodyStream(request),
        { contentLength: contentLength(request) },
      );
      return reply.header('etag', `"${etag}"`).send({});
    });
    for (const prefix of ['', '/ajax-api/2.0/mlflow']) {
      scope.post(`${prefix}/upload-artifact`, { bodyLimit: UI_UPLOAD_LIMIT }, async (request) => {
        const query = parseMessage(
          z.object({
            run_uuid: wire.string().optional(),
            run_id: wire.string().optional(),
            path: wire.string().optional(),
          }),
          request.query,
        );
        const runId = runIdOf(query);
        const length = contentLength(request);
        if (length !== undefined && length > UI_UPLOAD_LIMIT) {
          throw MlflowError.invalidParameter('Artifact size is too large. Max size is 10MB.');
        }
        const path = parseArtifactPath(required(query.path, 'path'));
        const root = await deps.artifacts.runRoot(runId);
        const body = limitBytes(bodyStream(request), UI_UPLOAD_LIMIT, 'Artifact size is too large. Max size is 10MB.');
        await deps.artifacts.upload(parseArtifactPath(`${root}/${path}`), body, { contentLength: length });
        return {};
      });
    }
  });
}

function bodyStream(request: FastifyRequest): Readable {
  if (request.body === undefined || request.body === null) return request.raw;
  return request.body as Readable;
}

function requireServing(deps: ArtifactRouteDeps): void {
  if (!deps.serveArtifacts) {
    throw new MlflowError(
      'TEMPORARILY_UNAVAILABLE',
      'This server does not serve artifacts: start it with --serve-artifacts to use the mlflow-artifacts API.',
    );
  }
}

const MpuCreate = z.object({ path: wire.string().optional(), num_parts: wire.int64().optional() });
const MpuComplete = z.object({
  path: wire.string().optional(),
  upload_id: wire.string().optional(),
  parts: wire.list(
    z.object({ part_number: wire.int64().optional(), etag: wire.string().optional(), url: wire.string().optional() }),
  ),
});
const MpuAbort = z.object({ path: wire.string().optional(), upload_id: wire.string().optional() });
const ListArtifacts = z.object({
  run_id: wire.string().optional(),
  run_uuid: wire.string().optional(),
  path: wire.string().optional(),
  page_token: wire.string().optional(),
});

export function registerArtifactRoutes(app: FastifyInstance, router: Router, deps: ArtifactRouteDeps): void {
  registerStreamingRoutes(app, deps);
  const { artifacts } = deps;

  app.get(`${PROXY}/artifacts/*`, async (request, reply) => {
    requireServing(deps);
    const path = wildcardPath(request);
    const verify = (request.query as { verify?: string }).verify === 'true';
    return sendArtifact(reply, await artifacts.download(path, { verify }), baseName(path), 'attachment');
  });
  app.delete(`${PROXY}/artifacts/*`, async (request) => {
    requireServing(deps);
    await artifacts.delete(wildcardPath(request));
    return {};
  });
  app.get(`${PROXY}/artifacts`, async (request) => {
    requireServing(deps);
    const { path } = parseMessage(z.object({ path: wire.string().optional() }), request.query);
    const directory = path ? parseArtifactPath(path, { allowRoot: true }) : ARTIFACT_ROOT;
    const files = await artifacts.list(directory);
    return listResponse(
      'files',
      files.map((f) => toWireFile({ ...f, path: baseName(f.path) })),
    );
  });
  router.remember(`${PROXY}/artifacts`, ['GET']);

  app.post(`${PROXY}/mpu/create/*`, async (request) => {
    requireServing(deps);
    const path = wildcardPath(request);
    const message = parseMessage(MpuCreate, request.body);
    const parts = required(message.num_parts, 'num_parts');
    if (parts < 1 || parts > 10000) throw MlflowError.invalidParameter('num_parts must be from 1 to 10000');
    const uploadId = await artifacts.createMultipartUpload(path);
    // Parts come back through this server (never straight to storage), so clients need no storage credentials.
    const base = `${request.protocol}://${request.host}${PROXY}/mpu/parts/${encodeURI(path)}`;
    const credentials = Array.from({ length: parts }, (_, i) => ({
      url: `${base}?upload_id=${encodeURIComponent(uploadId)}&part_number=${i + 1}`,
      part_number: i + 1,
      headers: {},
    }));
    return { upload_id: uploadId, credentials };
  });
  app.post(`${PROXY}/mpu/complete/*`, async (request) => {
    requireServing(deps);
    const message = parseMessage(MpuComplete, request.body);
    const parts = message.parts.map((p, i) => ({
      partNumber: required(p.part_number, `parts[${i}].part_number`),
      etag: required(p.etag, `parts[${i}].etag`).replace(/^"|"$/g, ''),
    }));
    await artifacts.completeMultipartUpload(wildcardPath(request), required(message.upload_id, 'upload_id'), parts);
    return {};
  });
  app.post(`${PROXY}/mpu/abort/*`, async (request) => {
    requireServing(deps);
    const message = parseMessage(MpuAbort, request.body);
    await artifacts.abortMultipartUpload(wildcardPath(request), required(message.upload_id, 'upload_id'));
    return {};
  });

  router.endpoint({
    methods: ['GET'],
    path: '/artifacts/list',
    schema: ListArtifacts,
    async handler(m) {
      const listing = await artifacts.listRunArtifacts(runIdOf(m), m.path);
      return { root_uri: listing.rootUri, ...listResponse('files', listing.files.map(toWireFile)) };
    },
  });

  // Plumb's own: write a run's snapshot now (it is written by itself when the run ends).
  for (const prefix of ['/api/2.0/plumb', '/ajax-api/2.0/plumb']) {
    app.post(`${prefix}/runs/snapshot`, async (request) => {
      const message = parseMessage(z.object({ run_id: wire.string().optional() }), request.body);
      const dir = await deps.snapshots.write(required(message.run_id, 'run_id'));
      if (dir === undefined) {
        throw MlflowError.invalidParameter(
          "The run's artifacts are not stored by this server: no snapshot can be written",
        );
      }
      return { path: dir };
    });
    router.remember(`${prefix}/runs/snapshot`, ['POST']);
  }

  const ModelVersionArtifact = z.object({
    name: wire.string().optional(),
    version: wire.string().optional(),
    path: wire.string().optional(),
  });
  for (const prefix of ['', '/ajax-api/2.0/mlflow']) {
    app.get(`${prefix}/model-versions/get-artifact`, async (request, reply) => {
      const query = parseMessage(ModelVersionArtifact, request.query);
      const uri = await deps.modelVersionUri(required(query.name, 'name'), required(query.version, 'version'));
      const path = required(query.path, 'path');
      return sendArtifact(reply, await artifacts.downloadUnder(uri, path), baseName(parseArtifactPath(path)), 'inline');
    });
  }

  for (const prefix of ['', '/ajax-api/2.0/mlflow']) {
    app.get(`${prefix}/get-artifact`, async (request, reply) => {
      const query = parseMessage(ListArtifacts, request.query);
      const runId = runIdOf(query);
      const path = parseArtifactPath(required(query.path, 'path'));
      const root = await artifacts.runRoot(runId);
      const download = await artifacts.download(parseArtifactPath(`${root}/${path}`));
      return sendArtifact(reply, download, baseName(path), 'inline');
    });
  }
}
