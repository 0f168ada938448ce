import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { isMlflowError, MlflowError } from '../core/errors.ts';

/**
 * The one place errors become HTTP: MlflowError → its code's status; Fastify's own 4xx errors
 * (bad JSON, oversize body, bad content type) → 400 INVALID_PARAMETER_VALUE with a clear message;
 * anything else → 500 INTERNAL_ERROR, logged with the request id and never leaking a stack.
 */
const MALFORMED_BODY_CODES = new Set([
  'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
  'FST_ERR_CTP_EMPTY_JSON_BODY',
  'FST_ERR_CTP_INVALID_JSON_BODY',
]);

export function toMlflowError(error: unknown): MlflowError {
  if (isMlflowError(error)) return error;
  if (error instanceof ZodError) {
    return MlflowError.invalidParameter(error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return MlflowError.invalidParameter('The request body is larger than this endpoint accepts.');
  }
  if (fastifyError.code !== undefined && MALFORMED_BODY_CODES.has(fastifyError.code)) {
    return MlflowError.invalidParameter(`Bad request: ${fastifyError.message ?? 'malformed body'}`);
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new MlflowError('BAD_REQUEST', fastifyError.message ?? 'Bad request');
  }
  return new MlflowError('INTERNAL_ERROR', 'Internal server error');
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const mlflowError = toMlflowError(error);
    if (mlflowError.httpStatus >= 500) {
      request.log.error({ err: error, requestId: request.id }, 'request failed');
    }
    const body: Record<string, unknown> = { error_code: mlflowError.code, message: mlflowError.message };
    if (mlflowError.details) body.details = mlflowError.details;
    if (mlflowError.retryAfterSeconds !== undefined) void reply.header('retry-after', mlflowError.retryAfterSeconds);
    return reply.status(mlflowError.httpStatus).type('application/json').send(body);
  });
}
