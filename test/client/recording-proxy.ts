/**
 * An HTTP proxy on 127.0.0.1 in front of a live server that records each request's method and
 * path and may answer one itself (to fail a multipart part, say) instead of forwarding it.
 */
import { once } from 'node:events';
import { createServer, request as forward, type IncomingMessage, type Server } from 'node:http';

export interface Intercept {
  readonly status: number;
  readonly body: string;
}

export class RecordingProxy {
  readonly seen: { method: string; path: string }[] = [];
  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(
    upstream: string,
    intercept: (request: IncomingMessage) => Intercept | undefined = () => undefined,
  ) {
    const target = new URL(upstream);
    const server = createServer((request, response) => {
      const own = intercept(request);
      if (own !== undefined) {
        request.resume();
        response.writeHead(own.status, { 'content-type': 'application/json' }).end(own.body);
        return;
      }
      const outgoing = forward(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      outgoing.on('error', () => response.destroy());
      request.pipe(outgoing);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const proxy = new RecordingProxy(server, `http://127.0.0.1:${address.port}`);
    server.on('request', (request: IncomingMessage) =>
      proxy.seen.push({
        method: request.method ?? '',
        path: decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname),
      }),
    );
    return proxy;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}
