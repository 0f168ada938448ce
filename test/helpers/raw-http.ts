/**
 * HTTP/1.1 spoken over a bare TCP socket: the request target goes out byte for byte (`..`,
 * backslashes, NUL, `#` — nothing a URL parser would normalise away), and a request can be cut
 * off at any byte.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly text: string;
}

function hostOf(baseUrl: string): { host: string; port: number } {
  const url = new URL(baseUrl);
  return { host: url.hostname, port: Number(url.port) };
}

/** Opens a connection and writes the request head; the caller writes (part of) the body. */
export async function openRequest(
  baseUrl: string,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<Socket> {
  const { host, port } = hostOf(baseUrl);
  const socket = connect({ host, port });
  socket.on('error', () => {
    // the server may reset a connection it refuses; callers look at what arrived
  });
  await once(socket, 'connect');
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${host}:${port}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  // latin1: each char of `target` is one byte, so a NUL or a raw byte is sent as is.
  socket.write(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
  return socket;
}

/** Everything the server sends until it closes (or `timeoutMs` passes), parsed; status 0 when nothing came. */
export async function readResponse(socket: Socket, timeoutMs = 10_000): Promise<RawResponse> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return parseResponse(Buffer.concat(chunks));
}

export function parseResponse(data: Buffer): RawResponse {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0), text: '' };
  const [statusLine, ...headerLines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = data.subarray(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(body);
  return { status, headers, body, text: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** One complete request with the target written verbatim. */
export async function rawRequest(
  baseUrl: string,
  method: string,
  target: string,
  options: { headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse> {
  let body: Buffer | undefined = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers = { ...options.headers };
  if (body !== undefined) {
    headers['Content-Type'] ??= 'application/octet-stream';
    if (options.chunked) {
      headers['Transfer-Encoding'] = 'chunked';
      body = chunked(body);
    } else headers['Content-Length'] ??= String(body.length);
  }
  const socket = await openRequest(baseUrl, method, target, headers);
  const response = readResponse(socket, options.timeoutMs);
  if (body !== undefined && body.length > 0) socket.write(body);
  return response;
}

/** `bytes` in chunked transfer coding, 64 KiB a chunk, with the closing empty chunk. */
export function chunked(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 65_536) {
    const chunk = bytes.subarray(at, at + 65_536);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Writes `bytes` and resolves once they are handed to the kernel. */
export async function writeAll(socket: Socket, bytes: Buffer): Promise<void> {
  if (bytes.length === 0) return;
  await new Promise<void>((resolve, reject) => {
    socket.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}
