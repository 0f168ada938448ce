import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { contentType } from 'mime-types';
import { MlflowError } from '../core/errors.ts';

/**
 * The web UI (ui/, built by `npm run build` into dist/ui) served at `/`. The UI talks to the server
 * only over /ajax-api, so it needs no inline script: the policy below forbids any. API paths never
 * fall back to the UI: an unknown /api/... path keeps MLflow's JSON 404 (or 405).
 */
export interface UiRouteOptions {
  /** The built UI: holds index.html and assets/. It may not exist; `/` then says how to build it. */
  readonly dir: string;
}

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/** Vite names everything under assets/ after its content hash: such a file never changes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Paths that belong to the server, never to the UI's client-side routes. */
const SERVER_PREFIXES = ['/api/', '/ajax-api/', '/get-artifact', '/model-versions/get-artifact'];

export const UI_NOT_BUILT_MESSAGE =
  'The Plumb web UI is not built. Run `npm run build` in the Plumb package directory (it writes dist/ui), ' +
  'or point PLUMB_UI_DIR at a built UI, then reload this page. The HTTP API works without it.\n';

export function registerUiRoutes(app: FastifyInstance, options: UiRouteOptions): void {
  const root = resolve(options.dir);
  const handler = (request: FastifyRequest, reply: FastifyReply) => serveUi(root, request, reply);
  app.get('/', handler);
  // find-my-way prefers every static and parametric route over this wildcard, so API routes win.
  app.get('/*', handler);
}

async function serveUi(root: string, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const rawPath = (request.raw.url ?? '/').split('?')[0]!;
  const file = resolveInside(root, rawPath);
  const path = file === root ? '/' : `/${file.slice(root.length + 1)}`;
  if (SERVER_PREFIXES.some((prefix) => path.startsWith(prefix) || `${path}/` === prefix)) {
    return reply.callNotFound();
  }
  const index = await fileSize(resolve(root, 'index.html'));
  if (index === undefined) {
    if (path !== '/' && !acceptsHtml(request)) return reply.callNotFound();
    return withSecurityHeaders(reply)
      .status(404)
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(UI_NOT_BUILT_MESSAGE);
  }
  if (file !== root && file !== resolve(root, 'index.html')) {
    const size = await fileSize(file);
    if (size !== undefined) return sendFile(reply, file, size, cacheControlOf(root, file));
    // A missing hashed asset is a stale page asking for an old build: answering HTML would hide that.
    if (file.startsWith(resolve(root, 'assets') + sep) || !acceptsHtml(request)) return reply.callNotFound();
  }
  return sendFile(reply, resolve(root, 'index.html'), index, 'no-cache');
}

/**
 * The file `urlPath` names inside `root`. Rejects (400) anything that would leave it or that a
 * file system could read differently: `..` in any encoding, backslashes, NUL, malformed escapes.
 */
export function resolveInside(root: string, urlPath: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    throw MlflowError.invalidParameter('The request path is not valid percent-encoding.');
  }
  if (decoded.includes('\0') || decoded.includes('\\')) {
    throw MlflowError.invalidParameter('The request path contains a forbidden character.');
  }
  if (decoded.split('/').includes('..')) {
    throw MlflowError.invalidParameter("The request path must not contain '..'.");
  }
  const target = resolve(root, `.${decoded.startsWith('/') ? decoded : `/${decoded}`}`);
  if (target !== root && !target.startsWith(root + sep)) {
    throw MlflowError.invalidParameter('The request path leaves the UI directory.');
  }
  return target;
}

function cacheControlOf(root: string, file: string): string {
  return file.startsWith(resolve(root, 'assets') + sep) ? IMMUTABLE : 'no-cache';
}

function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.toLowerCase().includes('text/html');
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

function sendFile(reply: FastifyReply, path: string, size: number, cacheControl: string): FastifyReply {
  const type = contentType(extname(path)) || 'application/octet-stream';
  return withSecurityHeaders(reply)
    .type(type)
    .header('content-length', size)
    .header('cache-control', cacheControl)
    .send(createReadStream(path));
}

function withSecurityHeaders(reply: FastifyReply): FastifyReply {
  return reply.headers(SECURITY_HEADERS);
}
