import type { Fetcher } from '../api/client.ts';

export interface Recorded {
  readonly url: URL;
  readonly method: string;
  readonly body: Record<string, unknown> | undefined;
  readonly headers: Headers;
}

/**
 * A stand-in for the server in component tests: every request is recorded, and `respond` answers
 * it as the real endpoint would (status and JSON body).
 */
export function fakeFetch(
  respond: (request: Recorded) => { status?: number; body: unknown; headers?: Record<string, string> },
) {
  const requests: Recorded[] = [];
  const fetcher: Fetcher = async (input, init) => {
    const request: Recorded = {
      url: new URL(input, 'http://plumb.test'),
      method: init?.method ?? 'GET',
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined,
      headers: new Headers(init?.headers),
    };
    requests.push(request);
    const answer = respond(request);
    return new Response(JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { 'content-type': 'application/json', ...answer.headers },
    });
  };
  return { fetcher, requests };
}
