/**
 * What a replay has learnt so far: the live ids and page tokens Plumb returned in place of the
 * recorded ones. Requests are rewritten with them before they are sent, and so are the recorded
 * responses before comparison, since later calls name runs and experiments that earlier ones made.
 */
import type { Body, Json, RecordedRequest, RecordedResponse, WireFixture } from './fixtures.ts';

/** MLflow run ids; the recordings contain no other 32-hex strings, so they are replaced wherever they occur. */
const RUN_ID = /\b[0-9a-f]{32}\b/g;
/** Experiment ids are small integers ("1"), so only values of these keys are experiment ids. */
const EXPERIMENT_KEYS = new Set(['experiment_id', 'experiment_ids']);
const PAGE_TOKEN_KEYS = new Set(['page_token', 'next_page_token']);
const RUN_KEYS = new Set(['run_id', 'run_uuid']);

export interface OutgoingRequest {
  /** Path and query string, to append to the server's base URL. */
  readonly target: string;
  readonly init: RequestInit;
  /** Recorded ids or tokens this request uses that never got a live counterpart: why it may fail. */
  readonly dangling: readonly string[];
}

/** The value at an RFC 6901 pointer, or undefined. */
export function valueAt(json: Json, pointer: string): Json | undefined {
  let node: Json | undefined = json;
  for (const raw of pointer.split('/').slice(1)) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) node = node[Number(token)];
    else if (node !== null && typeof node === 'object') node = Object.hasOwn(node, token) ? node[token] : undefined;
    else return undefined;
  }
  return node;
}

const lastToken = (pointer: string) => (pointer.split('/').pop() ?? '').replaceAll('~1', '/').replaceAll('~0', '~');
const jsonOf = (body: Body): Json | undefined => (body.kind === 'json' ? body.value : undefined);

export class ReplayState {
  private readonly runs = new Map<string, string>();
  private readonly experiments = new Map<string, string>();
  /** `<experiment>/<run>` prefixes of artifact paths and URIs, which hold both ids. */
  private readonly runPaths = new Map<string, string>();
  private readonly pageTokens = new Map<string, string>();
  /** Numbers the client sent (start times, metric timestamps): Plumb must echo these exactly. */
  private readonly clientNumbers = new Set<number>();
  /** Recorded id or token → the fixture whose response introduced it, to explain follow-on failures. */
  private readonly origins = new Map<string, string>();

  constructor(fixtures: readonly WireFixture[]) {
    for (const f of fixtures) {
      const body = jsonOf(f.response.body);
      if (body === undefined) continue;
      const ids = [
        ...(f.request.path.endsWith('/runs/create') ? [valueAt(body, '/run/info/run_id')] : []),
        ...(f.request.path.endsWith('/experiments/create') ? [valueAt(body, '/experiment_id')] : []),
        valueAt(body, '/next_page_token'),
      ];
      for (const id of ids) if (typeof id === 'string' && !this.origins.has(id)) this.origins.set(id, f.file);
    }
  }

  /** The recorded request with every known recorded id replaced by its live counterpart. */
  request(fixture: WireFixture): OutgoingRequest {
    const dangling = new Set<string>();
    const req: RecordedRequest = fixture.request;
    const query = new URLSearchParams();
    for (const [key, values] of Object.entries(req.query)) {
      for (const value of values) query.append(key, this.rewriteValue(value, key, dangling) as string);
    }
    const qs = query.toString();
    const target = this.rewriteString(req.path, dangling) + (qs === '' ? '' : `?${qs}`);

    const headers: Record<string, string> = {};
    for (const name of ['accept', 'user-agent', 'content-type']) {
      const value = req.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    let body: string | Uint8Array | undefined;
    switch (req.body.kind) {
      case 'json':
        this.collectNumbers(req.body.value);
        body = JSON.stringify(this.rewriteValue(req.body.value, '', dangling));
        break;
      case 'text':
        body = req.body.text;
        break;
      case 'binary':
        body = req.body.bytes;
        break;
      case 'none':
        break;
    }
    const notes = [...dangling].map((id) => `${id} (from ${this.origins.get(id)}) has no live counterpart`);
    return { target, init: { method: req.method, headers, body, redirect: 'manual' }, dangling: notes };
  }

  /** The recorded response, its ids and tokens replaced by the live ones known so far. */
  expected(fixture: WireFixture): RecordedResponse {
    const body = fixture.response.body;
    if (body.kind !== 'json') return fixture.response;
    return { ...fixture.response, body: { kind: 'json', value: this.rewriteValue(body.value, '', new Set()) } };
  }

  /**
   * The `pin` for compareResponse: a volatile id whose live counterpart is known must equal it, and
   * a volatile number the client itself sent (a start time, a metric timestamp) must come back as sent.
   */
  pinFor(fixture: WireFixture): (pointer: string, expected: Json) => Json | undefined {
    const recordedBody = jsonOf(fixture.response.body);
    return (pointer, expected) => {
      const recorded = recordedBody === undefined ? undefined : valueAt(recordedBody, pointer);
      if (typeof recorded === 'number' && this.clientNumbers.has(recorded)) return recorded;
      if (typeof recorded !== 'string') return undefined;
      const key = lastToken(pointer);
      if (RUN_KEYS.has(key) && this.runs.has(recorded)) return expected;
      if (EXPERIMENT_KEYS.has(key) && this.experiments.has(recorded)) return expected;
      return undefined;
    };
  }

  /** Records the live ids and page token that `live` (Plumb's answer to `fixture`) holds in place of recorded ones. */
  learn(fixture: WireFixture, live: Json | undefined): void {
    const recorded = jsonOf(fixture.response.body);
    if (recorded === undefined || live === undefined) return;
    const pair = (pointer: string): [string, string] | undefined => {
      const [r, l] = [valueAt(recorded, pointer), valueAt(live, pointer)];
      return typeof r === 'string' && typeof l === 'string' ? [r, l] : undefined;
    };
    const path = fixture.request.path;
    if (path.endsWith('/experiments/create')) this.remember(this.experiments, pair('/experiment_id'));
    if (path.endsWith('/runs/create')) {
      const run = pair('/run/info/run_id');
      const experiment = pair('/run/info/experiment_id');
      this.remember(this.runs, run);
      if (run && experiment) this.runPaths.set(`${experiment[0]}/${run[0]}`, `${experiment[1]}/${run[1]}`);
    }
    this.remember(this.pageTokens, pair('/next_page_token'));
  }

  private remember(map: Map<string, string>, pair: [string, string] | undefined): void {
    if (pair) map.set(pair[0], pair[1]);
  }

  private rewriteValue(value: Json, key: string, dangling: Set<string>): Json {
    if (typeof value === 'string') {
      const exact = EXPERIMENT_KEYS.has(key)
        ? this.experiments
        : PAGE_TOKEN_KEYS.has(key)
          ? this.pageTokens
          : undefined;
      if (!exact) return this.rewriteString(value, dangling);
      const live = exact.get(value);
      if (live === undefined && this.origins.has(value)) dangling.add(value);
      return live ?? value;
    }
    if (Array.isArray(value)) return value.map((item) => this.rewriteValue(item, key, dangling));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.rewriteValue(v, k, dangling)]));
    }
    return value;
  }

  private rewriteString(text: string, dangling: Set<string>): string {
    let out = text;
    // Combined prefixes first: once the run id alone is replaced, `1/<run>` no longer matches.
    for (const [recorded, live] of this.runPaths) out = out.replaceAll(recorded, live);
    return out.replace(RUN_ID, (id) => {
      const live = this.runs.get(id);
      if (live === undefined && this.origins.has(id)) dangling.add(id);
      return live ?? id;
    });
  }

  private collectNumbers(value: Json): void {
    if (typeof value === 'number') this.clientNumbers.add(value);
    else if (Array.isArray(value)) value.forEach((v) => this.collectNumbers(v));
    else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => this.collectNumbers(v));
  }
}
