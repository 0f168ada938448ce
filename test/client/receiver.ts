/**
 * A local HTTP receiver for client tests: records every request (method, path, headers, body) and
 * answers each from a script, so tests can fail a call N times, send Retry-After, or lie about a
 * digest, hold an answer back until the test releases it, and then check what the client sent.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  readonly at: number;
}

export type Answer =
  | { status: number; body?: string | Buffer; headers?: Record<string, string> }
  /** Destroys the socket without answering, as a crashed server or a dropped connection would. */
  | 'reset';

export class Receiver {
  readonly requests: Received[] = [];
  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly answer: (request: Received, index: number) => Answer | Promise<Answer>,
  ) {}

  static async start(answer: (request: Received, index: number) => Answer | Promise<Answer>): Promise<Receiver> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const receiver = new Receiver(server, `http://127.0.0.1:${address.port}`, answer);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      void receiver.handle(request, response);
    });
    return receiver;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const received: Received = {
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body: Buffer.concat(chunks),
      at: Date.now(),
    };
    this.requests.push(received);
    const answer = await this.answer(received, this.requests.length - 1);
    if (answer === 'reset') {
      request.socket.resetAndDestroy();
      return;
    }
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(answer.body ?? '{}');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

/** MLflow's error body. */
export const errorBody = (code: string, message = 'refused') => JSON.stringify({ error_code: code, message });
