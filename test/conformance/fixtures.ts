/**
 * Loading of the recorded MLflow wire fixtures (see ../shared/fixtures/mlflow-wire/README.md).
 * They live outside the repository, so the files are validated on read: a re-recording that changes
 * the format should fail here with the file name, not deep inside the replay.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A recorded HTTP body: JSON, text, raw bytes (recorded as base64), or nothing. */
export type Body =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly value: Json }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'binary'; readonly bytes: Buffer };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** Parameter order is kept: it is the order the client sent. */
  readonly query: Readonly<Record<string, readonly string[]>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Body;
}

export interface RecordedResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Body;
  readonly errorCode?: string;
}

export interface WireFixture {
  readonly file: string;
  readonly seq: number;
  readonly label: string;
  readonly madeBy: 'client' | 'raw';
  readonly note: string;
  readonly request: RecordedRequest;
  readonly response: RecordedResponse;
  /** JSON pointers into the response body whose values differ between captures. */
  readonly volatileResponse: readonly string[];
}

/** CI clones the repository with shared/ beside it; PLUMB_WIRE_FIXTURES points elsewhere when it is not. */
export const FIXTURES_DIR =
  process.env.PLUMB_WIRE_FIXTURES ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'mlflow-wire');

const Headers = z.record(z.string(), z.string());
const BodyFields = { json: z.unknown().optional(), text: z.string().optional(), base64: z.string().optional() };
const FixtureFile = z.object({
  seq: z.number().int().positive(),
  label: z.string().min(1),
  made_by: z.enum(['client', 'raw']),
  note: z.string(),
  request: z.object({
    method: z.string().min(1),
    path: z.string().startsWith('/'),
    query: z.record(z.string(), z.array(z.string())),
    headers: Headers,
    ...BodyFields,
  }),
  response: z.object({ status: z.number().int(), headers: Headers, error_code: z.string().optional(), ...BodyFields }),
  volatile: z.object({ request: z.array(z.string()), response: z.array(z.string()) }),
});

function bodyOf(raw: { json?: unknown; text?: string | undefined; base64?: string | undefined }): Body {
  // JSON.parse never yields undefined, so a missing key and an absent body are the same thing.
  if (raw.json !== undefined) return { kind: 'json', value: raw.json as Json };
  if (raw.text !== undefined) return { kind: 'text', text: raw.text };
  if (raw.base64 !== undefined) return { kind: 'binary', bytes: Buffer.from(raw.base64, 'base64') };
  return { kind: 'none' };
}

export function parseFixture(file: string, text: string): WireFixture {
  const result = FixtureFile.safeParse(JSON.parse(text));
  if (!result.success) throw new Error(`wire fixture ${file} is malformed: ${z.prettifyError(result.error)}`);
  const { request, response, ...f } = result.data;
  return {
    file,
    seq: f.seq,
    label: f.label,
    madeBy: f.made_by,
    note: f.note,
    request: {
      method: request.method,
      path: request.path,
      query: request.query,
      headers: request.headers,
      body: bodyOf(request),
    },
    response: {
      status: response.status,
      contentType: response.headers['content-type'] ?? '',
      body: bodyOf(response),
      ...(response.error_code === undefined ? {} : { errorCode: response.error_code }),
    },
    volatileResponse: f.volatile.response,
  };
}

/** Every fixture in `dir`, in `seq` order: later calls depend on the state earlier ones created. */
export function loadFixtures(dir: string = FIXTURES_DIR): WireFixture[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch (error) {
    throw new Error(
      `wire fixtures not found at ${dir}: clone shared/ beside the repository or set PLUMB_WIRE_FIXTURES`,
      {
        cause: error,
      },
    );
  }
  if (names.length === 0) throw new Error(`no wire fixtures (*.json) in ${dir}`);
  const fixtures = names.map((name) => parseFixture(name, readFileSync(join(dir, name), 'utf8')));
  fixtures.sort((a, b) => a.seq - b.seq);
  fixtures.forEach((f, i) => {
    const previous = fixtures[i - 1];
    if (previous?.seq === f.seq) throw new Error(`wire fixtures ${previous.file} and ${f.file} share seq ${f.seq}`);
  });
  return fixtures;
}

/** The endpoint of a request, as a human reads it in a test name or a report. */
export function describeRequest(request: RecordedRequest): string {
  return `${request.method} ${request.path}`;
}
