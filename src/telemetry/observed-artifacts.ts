import { type Readable, Transform } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import type { ArtifactRepository } from '../artifacts/artifact-repository.ts';
import type { ArtifactPath } from '../core/artifact-path.ts';
import type { PlumbMetrics } from './metrics.ts';
import type { Tracing } from './tracing.ts';

/**
 * The artifact port with metrics and spans around it: bytes in and out, uploads in flight, an
 * operation counter and a child span per operation. Wraps any backend, so no backend changes.
 */
export function observeArtifacts(
  inner: ArtifactRepository,
  telemetry: { metrics?: PlumbMetrics | undefined; tracing?: Tracing | undefined },
): ArtifactRepository {
  const { metrics, tracing } = telemetry;
  if (!metrics && !tracing) return inner;
  const observe = <T>(operation: string, path: ArtifactPath | undefined, work: () => Promise<T>): Promise<T> => {
    const run = metrics
      ? () =>
          work().then(
            (value) => {
              metrics.artifactOperation(operation, 'ok');
              return value;
            },
            (error: unknown) => {
              metrics.artifactOperation(operation, 'error');
              throw error;
            },
          )
      : work;
    if (!tracing) return run();
    const attributes =
      path === undefined
        ? { 'artifact.operation': operation }
        : { 'artifact.operation': operation, 'artifact.path': path };
    return tracing.inSpan(`artifact ${operation}`, SpanKind.INTERNAL, attributes, run);
  };
  const upload = async <T>(work: () => Promise<T>): Promise<T> => {
    metrics?.uploadStarted();
    try {
      return await work();
    } finally {
      metrics?.uploadEnded();
    }
  };
  return {
    capabilities: inner.capabilities,
    description: inner.description,
    put: (path, body, options) =>
      observe('put', path, () =>
        upload(async () => {
          const info = await inner.put(path, body, options);
          metrics?.artifactBytes('in', info.size);
          return info;
        }),
      ),
    get: (path, options) =>
      observe('get', path, async () => {
        const object = await inner.get(path, options);
        return metrics ? { ...object, body: counted(object.body, (n) => metrics.artifactBytes('out', n)) } : object;
      }),
    stat: (path) => observe('stat', path, () => inner.stat(path)),
    list: (path, options) => observe('list', path, () => inner.list(path, options)),
    delete: (path) => observe('delete', path, () => inner.delete(path)),
    createMultipartUpload: (path) => observe('create_multipart_upload', path, () => inner.createMultipartUpload(path)),
    uploadPart: (path, uploadId, partNumber, body, options) =>
      observe('upload_part', path, () =>
        upload(() =>
          inner.uploadPart(
            path,
            uploadId,
            partNumber,
            metrics ? counted(body, (n) => metrics.artifactBytes('in', n)) : body,
            options,
          ),
        ),
      ),
    completeMultipartUpload: (path, uploadId, parts, options) =>
      observe('complete_multipart_upload', path, () => inner.completeMultipartUpload(path, uploadId, parts, options)),
    abortMultipartUpload: (path, uploadId) =>
      observe('abort_multipart_upload', path, () => inner.abortMultipartUpload(path, uploadId)),
    cleanupAbandonedUploads: (olderThanMs) =>
      observe('cleanup_abandoned_uploads', undefined, () => inner.cleanupAbandonedUploads(olderThanMs)),
    listPendingUploads: () => inner.listPendingUploads(),
  };
}

/**
 * The same bytes, counted as they pass (a download may stop early, so the object's size would
 * overstate it). Errors and early ends travel both ways, as through any pipeline stage.
 */
function counted(body: Readable, count: (bytes: number) => void): Readable {
  const through = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      count(chunk.length);
      done(null, chunk);
    },
  });
  body.on('error', (error) => through.destroy(error));
  through.on('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  return body.pipe(through);
}
