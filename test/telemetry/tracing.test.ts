/** OTLP export: spans reach a collector with the request → transaction/artifact structure and the caller's traceparent as parent. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { startTestServer } from '../helpers/test-server.ts';
import { postJson } from './telemetry-helpers.ts';

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: readonly { key: string; value: { stringValue?: string; intValue?: number | string } }[];
}

/** A collector's OTLP/HTTP receiver, reduced to keeping what it is sent. */
async function startSink(): Promise<{ url: string; spans: OtlpSpan[]; resources: unknown[]; server: Server }> {
  const spans: OtlpSpan[] = [];
  const resources: unknown[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      assert.match(request.headers['content-type'] ?? '', /application\/json/);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource: unknown; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const resourceSpans of body.resourceSpans) {
        resources.push(resourceSpans.resource);
        for (const scope of resourceSpans.scopeSpans) spans.push(...scope.spans);
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans, resources, server };
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

void describe('OpenTelemetry tracing', () => {
  void it('exports a server span per request, a child per store transaction and artifact operation, under the caller’s traceparent', async () => {
    const sink = await startSink();
    const server = await startTestServer({
      env: {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink.url,
        OTEL_SERVICE_NAME: 'plumb-under-test',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
      },
    });
    let runId: string;
    try {
      const created = await postJson(
        server.baseUrl,
        '/runs/create',
        { experiment_id: '0' },
        { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, 'x-request-id': 'trace-req-1' },
      );
      assert.equal(created.status, 200);
      assert.equal(created.headers.get('x-request-id'), 'trace-req-1');
      const info = (created.body.run as { info: { run_id: string; artifact_uri: string } }).info;
      runId = info.run_id;
      const batch = await postJson(server.baseUrl, '/runs/log-batch', {
        run_id: runId,
        metrics: [{ key: 'loss', value: 0.5, timestamp: 1, step: 0 }],
      });
      assert.equal(batch.status, 200);
      const path = `${info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '')}/notes.txt`;
      const upload = await fetch(`${server.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${path}`, {
        method: 'PUT',
        body: 'hello',
        headers: { 'x-request-id': 'upload-1' },
      });
      assert.equal(upload.status, 200);
    } finally {
      await server.close(); // shuts the provider down, which flushes the batch
    }
    try {
      const byName = (name: string) => sink.spans.filter((s) => s.name === name);
      const create = byName('POST /api/2.0/mlflow/runs/create');
      assert.equal(create.length, 1, `spans: ${sink.spans.map((s) => s.name).join(', ')}`);
      const request = create[0]!;
      assert.equal(request.traceId, CALLER_TRACE);
      assert.equal(request.parentSpanId, CALLER_SPAN);
      assert.equal(request.kind, 2, 'a SERVER span');
      assert.equal(attribute(request, 'plumb.request_id'), 'trace-req-1');
      assert.equal(attribute(request, 'http.response.status_code'), 200);
      assert.equal(attribute(request, 'http.route'), '/api/2.0/mlflow/runs/create');

      const transactions = sink.spans.filter((s) => s.name === 'db transaction' && s.parentSpanId === request.spanId);
      assert.ok(transactions.length >= 1, 'no store transaction under the create request');
      for (const transaction of transactions) {
        assert.equal(transaction.traceId, CALLER_TRACE);
        assert.equal(attribute(transaction, 'plumb.request_id'), 'trace-req-1');
        assert.equal(attribute(transaction, 'db.system.name'), process.env.PLUMB_TEST_STORE ?? 'sqlite');
      }

      // The group-committed write of log-batch is a child of its own request, in a trace of its own.
      const batch = byName('POST /api/2.0/mlflow/runs/log-batch')[0]!;
      assert.notEqual(batch.traceId, CALLER_TRACE);
      assert.equal(batch.parentSpanId ?? '', '');
      assert.ok(sink.spans.some((s) => s.name === 'db transaction' && s.parentSpanId === batch.spanId));

      const put = byName('PUT /api/2.0/mlflow-artifacts/artifacts/*')[0]!;
      const artifactPut = byName('artifact put')[0]!;
      assert.equal(artifactPut.parentSpanId, put.spanId);
      assert.equal(attribute(artifactPut, 'plumb.request_id'), 'upload-1');
      assert.match(String(attribute(artifactPut, 'artifact.path')), new RegExp(`${runId}/artifacts/notes.txt$`));

      // Background work (heartbeats) makes no spans: every span belongs to a request's trace.
      const requestTraces = new Set(sink.spans.filter((s) => s.kind === 2).map((s) => s.traceId));
      assert.ok(sink.spans.every((s) => requestTraces.has(s.traceId)));
      assert.match(JSON.stringify(sink.resources[0]), /plumb-under-test/);
      assert.match(JSON.stringify(sink.resources[0]), /deployment\.environment/);
    } finally {
      await new Promise((resolve) => sink.server.close(resolve));
    }
  });
});
