import type { FastifyReply, FastifyRequest } from 'fastify';
import { MlflowError } from '../../core/errors.ts';
import type { WriteContext } from '../../registry/registry-changes.ts';

/**
 * Plumb's optimistic concurrency over MLflow's registry RPCs. Responses about one model carry
 * `ETag: "<revision>"`; a write may send that revision back as `If-Match: "<revision>"` (or as the
 * body field `expected_revision`) and then fails with 409 RESOURCE_CONFLICT if the model changed
 * meanwhile. A request with neither behaves exactly as it does against MLflow.
 */

export function setRevisionTag(reply: FastifyReply, revision: number): void {
  void reply.header('etag', `"${revision}"`);
}

const ENTITY_TAG = /^(?:W\/)?"(\d{1,15})"$|^(\d{1,15})$/;

/** The revision named by If-Match; undefined for `*` or no header. */
export function ifMatchRevision(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const values = (Array.isArray(header) ? header : [header]).flatMap((h) => h.split(',')).map((v) => v.trim());
  if (values.length === 1 && values[0] === '*') return undefined;
  const revisions = new Set<number>();
  for (const value of values) {
    const match = ENTITY_TAG.exec(value);
    if (!match) {
      throw MlflowError.invalidParameter(
        `Invalid If-Match header '${String(header)}': expected the model's ETag, such as "3", or *.`,
      );
    }
    revisions.add(Number(match[1] ?? match[2]));
  }
  if (revisions.size !== 1) {
    throw MlflowError.invalidParameter(`Invalid If-Match header '${String(header)}': name exactly one revision.`);
  }
  return [...revisions][0];
}

/**
 * The actor recorded in the registry's event log: the Basic-auth user the client sent
 * (MLFLOW_TRACKING_USERNAME), if any. Unverified until authentication is enforced by the server.
 */
export function actorOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !/^basic\s+/i.test(header)) return undefined;
  const decoded = Buffer.from(header.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  return user === '' ? undefined : user.slice(0, 256);
}

/** The write context of a request: actor, and the expected revision from If-Match or the body. */
export function writeContext(
  request: FastifyRequest,
  message: { expected_revision?: number | undefined },
): WriteContext {
  const fromHeader = ifMatchRevision(request);
  const fromBody = message.expected_revision;
  if (fromBody !== undefined && fromBody < 0) {
    throw MlflowError.invalidParameter(`Invalid value ${fromBody} for parameter 'expected_revision' supplied.`);
  }
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody) {
    throw MlflowError.invalidParameter(
      `If-Match names revision ${fromHeader} but expected_revision is ${fromBody}: send one, or the same in both.`,
    );
  }
  return { actor: actorOf(request), expectedRevision: fromHeader ?? fromBody };
}
