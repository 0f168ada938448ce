import { type Context, context, type Span, SpanStatusCode } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { redactRequestTarget } from './request-id.ts';
import type { Telemetry } from './telemetry.ts';

const TRACE = Symbol('plumb.trace');
/** Probes and scrapers are answered whatever client asks: the version policy is for API clients. */
const UNGUARDED = new Set(['/health', '/version', '/metrics']);

type TracedRequest = FastifyRequest & { [TRACE]?: { span: Span; context: Context } };

/**
 * The request-side hooks: X-Request-Id on every response, the client-version policy, request
 * metrics per route template, a server span per request (the caller's `traceparent` as parent),
 * the slow-request log, and GET /metrics when metrics are served on the API's port. With metrics
 * and tracing off, a request costs a header, a map lookup and a comparison.
 */
export function registerTelemetry(app: FastifyInstance, telemetry: Telemetry): void {
  const { metrics, tracing, clients, slowRequestMs } = telemetry;
  // onSend, not onRequest: answers to requests an earlier hook refused carry the id as well.
  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });
  app.addHook('onRequest', (request: TracedRequest, _reply, done) => {
    const { check, refusal: refused } = clients.evaluate(request.headers['user-agent']);
    metrics?.client(check);
    const refusal = refused && !UNGUARDED.has(request.routeOptions.url ?? '') ? refused : undefined;
    if (!tracing) return done(refusal);
    const route = request.routeOptions.url;
    const traced = tracing.startRequest(
      request.headers,
      route ? `${request.method} ${route}` : request.method,
      request.id,
      {
        'http.request.method': request.method,
        'url.path': request.url.split('?')[0],
        ...(route === undefined ? {} : { 'http.route': route }),
        ...(request.headers['user-agent'] === undefined
          ? {}
          : { 'user_agent.original': request.headers['user-agent'] }),
      },
    );
    request[TRACE] = traced;
    // Everything the rest of this hook chain starts inherits the request's span as its parent.
    context.with(traced.context, () => done(refusal));
  });
  if (tracing) {
    // Body parsing resumes on the socket's own async context: enter the request's again for the handler.
    app.addHook('preHandler', (request: TracedRequest, _reply, done) => {
      const traced = request[TRACE];
      if (traced) context.with(traced.context, done);
      else done();
    });
    app.addHook('onError', async (request: TracedRequest, _reply, error) => {
      request[TRACE]?.span.recordException(error);
    });
    app.addHook('onRequestAbort', async (request: TracedRequest) => {
      const traced = request[TRACE];
      if (!traced) return;
      traced.span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the connection' });
      traced.span.end();
      request[TRACE] = undefined;
    });
  }
  app.addHook('onResponse', (request: TracedRequest, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const ms = reply.elapsedTime;
    metrics?.request(request.method, route, reply.statusCode, ms / 1000);
    const traced = request[TRACE];
    if (traced) {
      traced.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) traced.span.setStatus({ code: SpanStatusCode.ERROR });
      traced.span.end();
    }
    if (ms > slowRequestMs) {
      request.log.warn(
        {
          method: request.method,
          route,
          url: redactRequestTarget(request.url),
          statusCode: reply.statusCode,
          durationMs: Math.round(ms),
        },
        'slow request',
      );
    }
    done();
  });
  if (metrics && telemetry.metricsOnApiPort) {
    app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await metrics.scrape();
      return reply.type(contentType).send(body);
    });
  }
}
