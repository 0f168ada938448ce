import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { type WebhookTransport, WebhookTransportError } from '../registry/webhooks/webhook-transport.ts';
import { type AllowList, nonPublicReason } from './address-policy.ts';

/** Resolves a host name to every address it has. Injected so tests can fake DNS. */
export type Resolver = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface SafeTransportOptions {
  /** MLFLOW_WEBHOOK_ALLOWED_SCHEMES; only http and https are ever honoured. */
  readonly allowedSchemes: readonly string[];
  readonly allowList: AllowList;
  /** Whole request, DNS included. */
  readonly timeoutMs: number;
  readonly resolve?: Resolver | undefined;
}

const refuse = (message: string) => new WebhookTransportError(`refused: ${message}`, true);

/**
 * The webhook HTTP client, closed against SSRF: a target is resolved first, EVERY address it
 * resolves to must be public (or allow-listed), and the connection is pinned to the vetted
 * address through `lookup`, so a second DNS answer (rebinding) is never used. Redirects are never
 * followed (the 3xx status is the result), and the answer's body is drained and dropped.
 */
export function createSafeWebhookTransport(options: SafeTransportOptions): WebhookTransport {
  const resolve = options.resolve ?? systemResolver;
  const schemes = new Set(
    options.allowedSchemes.map((s) => s.trim().toLowerCase()).filter((s) => s === 'http' || s === 'https'),
  );

  function checkUrl(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `'${url}' is not a valid URL`;
    }
    const scheme = parsed.protocol.replace(/:$/, '');
    if (!(schemes as Set<string>).has(scheme)) {
      return `scheme '${scheme}' is not allowed (allowed: ${[...schemes].join(', ') || 'none'}; see MLFLOW_WEBHOOK_ALLOWED_SCHEMES)`;
    }
    if (parsed.hostname === '') return 'the URL has no host';
    return undefined;
  }

  /** The address to connect to, after every address of the host passed the policy. */
  async function vet(hostname: string): Promise<{ address: string; family: number }> {
    const literal = isIP(hostname);
    const addresses = literal
      ? [{ address: hostname, family: literal }]
      : await resolve(hostname).catch(() => {
          throw new WebhookTransportError(`could not resolve ${hostname}`, false);
        });
    if (addresses.length === 0) throw new WebhookTransportError(`${hostname} has no address`, false);
    if (!literal && options.allowList.allowsHost(hostname)) return addresses[0]!;
    for (const { address } of addresses) {
      if (options.allowList.allowsAddress(address)) continue;
      const reason = nonPublicReason(address);
      if (reason) throw refuse(literal ? reason : `${hostname} resolves to ${address}: ${reason}`);
    }
    return addresses[0]!;
  }

  async function post(request: {
    url: string;
    body: string;
    headers: Readonly<Record<string, string>>;
  }): Promise<{ status: number }> {
    const problem = checkUrl(request.url);
    if (problem) throw refuse(problem);
    const url = new URL(request.url);
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const pinned = await Promise.race([
      vet(hostname),
      new Promise<never>((_, reject) =>
        deadline.addEventListener('abort', () => reject(new WebhookTransportError('timed out resolving', false))),
      ),
    ]);
    const lookup: LookupFunction = (_host, lookupOptions, callback) => {
      if (lookupOptions.all) callback(null, [pinned]);
      else callback(null, pinned.address, pinned.family);
    };
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolvePost, reject) => {
      const req = client.request(
        {
          method: 'POST',
          host: hostname,
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          headers: { ...request.headers, 'Content-Length': String(Buffer.byteLength(request.body)) },
          lookup,
          agent: false,
          signal: deadline,
          ...(url.protocol === 'https:' && !isIP(hostname) ? { servername: hostname } : {}),
        },
        (res) => {
          // The body is never read into memory or reported: drain it, then answer with the status.
          res.resume();
          res.on('end', () => resolvePost({ status: res.statusCode ?? 0 }));
          res.on('error', () => resolvePost({ status: res.statusCode ?? 0 }));
        },
      );
      req.on('socket', (socket) => {
        socket.on('connect', () => {
          // Belt and braces: the peer must be the address we vetted.
          const peer = socket.remoteAddress?.replace(/^::ffff:(?=\d+\.)/, '');
          if (peer !== pinned.address.replace(/^::ffff:(?=\d+\.)/, '')) {
            req.destroy(refuse(`connected to ${String(peer)}, not the vetted ${pinned.address}`));
          }
        });
      });
      req.on('error', (error) => {
        if (error instanceof WebhookTransportError) return reject(error);
        const message = deadline.aborted
          ? `timed out after ${options.timeoutMs} ms`
          : `request failed (${errorCode(error)})`;
        reject(new WebhookTransportError(message, false));
      });
      req.end(request.body);
    });
  }

  return { checkUrl, post };
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}
