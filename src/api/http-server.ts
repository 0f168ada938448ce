import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { z } from 'zod';
import { MlflowError } from '../core/errors.ts';
import { requestIdOf } from '../telemetry/request-id.ts';
import { installErrorHandler } from './error-handler.ts';
import { parseMessage } from './wire.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/** Largest JSON body any endpoint takes: a dataset profile may be 16 MB. */
const MAX_JSON_BODY = 24 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** Size of the raw body, for limits stated in bytes (log-batch). */
    bodyBytes: number;
  }
}

export interface EndpointSpec<S extends z.ZodType> {
  readonly methods: readonly HttpMethod[];
  /** Path after `/api/2.0/mlflow`, e.g. `/runs/create`. */
  readonly path: string;
  readonly schema: S;
  /** `reply` is for response headers (ETag); the returned value is the JSON body. */
  handler(message: z.infer<S>, request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

/** Tracks registered paths so a known path with the wrong method answers 405, not 404. */
export class Router {
  private readonly methodsByPath = new Map<string, Set<string>>();

  constructor(readonly app: FastifyInstance) {}

  /** Registers an MLflow RPC under `/api/2.0/mlflow` and `/ajax-api/2.0/mlflow`, as MLflow serves it. */
  endpoint<S extends z.ZodType>(spec: EndpointSpec<S>): void {
    for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
      const url = `${prefix}${spec.path}`;
      this.remember(url, spec.methods);
      this.app.route({
        method: [...spec.methods],
        url,
        handler: async (request, reply) => {
          const input = request.method === 'GET' ? request.query : jsonBody(request);
          return spec.handler(parseMessage(spec.schema, input), request, reply);
        },
      });
    }
  }

  remember(url: string, methods: readonly string[]): void {
    const known = this.methodsByPath.get(url) ?? new Set<string>();
    for (const method of methods) known.add(method);
    if (methods.includes('GET')) known.add('HEAD');
    this.methodsByPath.set(url, known);
  }

  allowedMethods(url: string): readonly string[] | undefined {
    const known = this.methodsByPath.get(url);
    return known ? [...known] : undefined;
  }
}

/** MLflow's CSRF defence (CVE-2023-43472): write requests must declare a JSON body. */
export function jsonBody(request: FastifyRequest): unknown {
  const contentType = request.headers['content-type'];
  if (contentType === undefined) {
    if (request.bodyBytes > 0) throw MlflowError.invalidParameter('Bad Request. Content-Type header is missing.');
    return {};
  }
  if (contentType.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    throw MlflowError.invalidParameter(
      `Bad Request. Content-Type must be one of ['application/json'], got '${contentType}'.`,
    );
  }
  return request.body ?? {};
}

export function createHttpServer(logger: FastifyBaseLogger): { app: FastifyInstance; router: Router } {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: MAX_JSON_BODY,
    // Per-request access logs would cost more than the logging itself on the ingest path.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2000 },
    // A sane X-Request-Id from a proxy or client is kept (and logged as reqId), else one is made.
    requestIdHeader: false,
    genReqId: (raw) => requestIdOf(raw.headers['x-request-id']),
  });
  app.decorateRequest('bodyBytes', 0);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.bodyBytes = Buffer.byteLength(text);
    if (text.trim() === '') return done(null, {});
    try {
      let parsed: unknown = JSON.parse(text);
      // MLflow tolerates a body that is a JSON string holding the JSON message.
      if (typeof parsed === 'string') parsed = JSON.parse(parsed);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        return done(MlflowError.invalidParameter('The request body must be a JSON object.'), undefined);
      }
      done(null, parsed);
    } catch {
      done(MlflowError.invalidParameter('The request body is not valid JSON.'), undefined);
    }
  });
  // Any other type is kept raw: JSON endpoints reject it with MLflow's content-type error.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    request.bodyBytes = (body as Buffer).length;
    done(null, body);
  });
  installErrorHandler(app);
  // '#' cannot appear in a request target (RFC 9112); the router would silently cut the path there,
  // so `x#frag` would act on `x`. Such a request is refused before any route sees it.
  app.addHook('onRequest', async (request) => {
    if (request.raw.url?.includes('#')) {
      throw MlflowError.invalidParameter("A request path must not contain '#'");
    }
  });
  const router = new Router(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!.replace(/\/+$/, '');
    const allowed = router.allowedMethods(path);
    if (allowed) {
      void reply.header('allow', allowed.join(', '));
      throw new MlflowError('METHOD_NOT_ALLOWED', `The method ${request.method} is not allowed for ${path}.`);
    }
    throw new MlflowError('ENDPOINT_NOT_FOUND', `No endpoint ${request.method} ${path}.`);
  });
  return { app, router };
}
