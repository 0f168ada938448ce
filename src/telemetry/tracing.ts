import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from './otel-env.ts';

const REQUEST_ID = createContextKey('plumb.request_id');
const PROBE = createContextKey('plumb.context-probe');

/**
 * Spans for requests, store transactions and artifact operations, exported over OTLP/HTTP (JSON).
 * Each app has a provider of its own and never registers it globally; only the context manager
 * (AsyncLocalStorage) is process-wide by nature, and it is installed once. Child spans are made
 * only inside a request's span: background work (heartbeats, webhook polling) makes none.
 */
export class Tracing {
  private readonly provider: NodeTracerProvider;
  private readonly tracer: Tracer;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(config: TracingConfig, version: string) {
    this.provider = new NodeTracerProvider({
      resource: resourceFromAttributes({
        ...config.resourceAttributes,
        'service.name': config.serviceName,
        'service.version': version,
      }),
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: config.endpoint, headers: { ...config.headers } }), {
          scheduledDelayMillis: 1000,
        }),
      ],
    });
    if (!contextManagerInstalled()) {
      // register() installs the AsyncLocalStorage context manager; the global tracer provider it
      // also sets is removed again, since every app uses its own.
      this.provider.register({ propagator: null });
      trace.disable();
    }
    this.tracer = this.provider.getTracer('plumb', version);
  }

  /** The server span of a request: a child of the caller's span when `traceparent` names one. */
  startRequest(
    headers: Record<string, string | string[] | undefined>,
    name: string,
    requestId: string,
    attributes: Attributes,
  ): { span: Span; context: Context } {
    const parent = this.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    const span = this.tracer.startSpan(
      name,
      { kind: SpanKind.SERVER, attributes: { ...attributes, 'plumb.request_id': requestId } },
      parent,
    );
    return { span, context: trace.setSpan(parent, span).setValue(REQUEST_ID, requestId) };
  }

  /** Runs `work` in a child span of the active request span; just runs it outside any request. */
  inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, work: () => Promise<T>): Promise<T> {
    const active = context.active();
    if (trace.getSpan(active) === undefined) return work();
    const requestId = active.getValue(REQUEST_ID);
    const span = this.tracer.startSpan(
      name,
      {
        kind,
        attributes: typeof requestId === 'string' ? { ...attributes, 'plumb.request_id': requestId } : attributes,
      },
      active,
    );
    return context.with(trace.setSpan(active, span), async () => {
      try {
        return await work();
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  /** Sends what is buffered and stops exporting. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

/** Whether a real context manager is installed: the API's no-op one forgets every value. */
function contextManagerInstalled(): boolean {
  return context.with(ROOT_CONTEXT.setValue(PROBE, true), () => context.active().getValue(PROBE) === true);
}
