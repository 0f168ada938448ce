/**
 * A TCP proxy on 127.0.0.1 that passes requests through at once and answers after `delayMs`, like a
 * slow network. `resetAll()` resets every client connection and drops the answers still on their
 * way: a request whose transaction committed then looks failed to its client, which is the case a
 * client's retry must not turn into duplicates.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class LossyProxy {
  /** Each client connection, with the number of answer chunks held back for it. */
  private readonly clients = new Map<Socket, { held: number }>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly upstreamPort: () => number,
    private readonly delayMs: number,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async start(options: { upstreamPort: () => number; delayMs: number }): Promise<LossyProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    return new LossyProxy(server, address.port, options.upstreamPort, options.delayMs);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Chunks of answers that the server sent and the client has not received yet. */
  get heldChunks(): number {
    let held = 0;
    for (const connection of this.clients.values()) held += connection.held;
    return held;
  }

  /** Resets every client connection now; answers held back are never delivered. */
  resetAll(): void {
    for (const client of this.clients.keys()) client.resetAndDestroy();
    this.clients.clear();
  }

  async close(): Promise<void> {
    this.resetAll();
    this.server.close();
    await once(this.server, 'close');
  }

  private accept(client: Socket): void {
    const connection = { held: 0 };
    this.clients.set(client, connection);
    const upstream = createConnection({ host: '127.0.0.1', port: this.upstreamPort() });
    let open = true;
    const drop = () => {
      if (!open) return;
      open = false;
      this.clients.delete(client);
      client.resetAndDestroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => upstream.write(chunk));
    client.on('error', drop);
    client.on('close', drop);
    upstream.on('error', drop);
    upstream.on('data', (chunk) => {
      connection.held++;
      setTimeout(() => {
        if (!open || !this.clients.has(client)) return;
        connection.held--;
        client.write(chunk);
      }, this.delayMs);
    });
    // The server closed its side: pass that on after the answers still held back.
    upstream.on('end', () =>
      setTimeout(() => {
        if (open) client.end();
      }, this.delayMs + 1),
    );
  }
}
