/**
 * Where and as what spans go (OpenTelemetry's standard OTEL_* variables, read by config.ts from
 * the environment it is given). Undefined in Config when tracing is off, its default.
 */
export interface TracingConfig {
  /** The OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces. */
  readonly endpoint: string;
  /** Extra request headers for the collector (often an API key: shown only as `***`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

const DEFAULT_ENDPOINT = 'http://localhost:4318/v1/traces';
const TRUE = /^\s*true\s*$/i;

/**
 * The OpenTelemetry SDK's own rules: OTEL_SDK_DISABLED=true wins; otherwise tracing is on when
 * OTEL_TRACES_EXPORTER names otlp or an OTLP endpoint is set (and the exporter is not `none`).
 * The signal-specific endpoint is used as given; the generic one gets `/v1/traces` appended.
 */
export function tracingFromEnv(env: NodeJS.ProcessEnv): { tracing?: TracingConfig; problems: string[] } {
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  if (TRUE.test(env.OTEL_SDK_DISABLED ?? '')) return { problems: [] };
  const exporters = (value('OTEL_TRACES_EXPORTER') ?? '').split(',').map((e) => e.trim().toLowerCase());
  const tracesEndpoint = value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = value('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (exporters.includes('none')) return { problems: [] };
  if (!exporters.includes('otlp') && !tracesEndpoint && !baseEndpoint) return { problems: [] };
  const problems: string[] = [];
  const endpoint =
    tracesEndpoint ?? (baseEndpoint ? `${baseEndpoint.replace(/\/+$/, '')}/v1/traces` : DEFAULT_ENDPOINT);
  if (!/^https?:\/\/[^/]/i.test(endpoint)) {
    const source = tracesEndpoint ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
    problems.push(`${source}: must be an http(s) URL (got ${JSON.stringify(endpoint)})`);
  }
  const protocol = value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol !== undefined && protocol !== 'http/json' && protocol !== 'http/protobuf') {
    problems.push(
      `OTEL_EXPORTER_OTLP_PROTOCOL: Plumb exports spans over OTLP/HTTP only (got ${JSON.stringify(protocol)})`,
    );
  }
  const resourceAttributes = keyValueList(value('OTEL_RESOURCE_ATTRIBUTES'));
  const tracing: TracingConfig = {
    endpoint,
    headers: keyValueList(value('OTEL_EXPORTER_OTLP_TRACES_HEADERS') ?? value('OTEL_EXPORTER_OTLP_HEADERS')),
    serviceName: value('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? 'plumb',
    resourceAttributes,
  };
  return problems.length > 0 ? { problems } : { tracing, problems };
}

/** `k1=v1,k2=v2` with percent-encoded values (W3C Baggage style), as the OTEL_* lists are written; bad entries are skipped, as the SDK does. */
function keyValueList(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of (text ?? '').split(',')) {
    const at = entry.indexOf('=');
    if (at <= 0) continue;
    const key = entry.slice(0, at).trim();
    try {
      out[key] = decodeURIComponent(entry.slice(at + 1).trim());
    } catch {
      // a malformed percent escape: the SDK drops the entry as well
    }
  }
  return out;
}
