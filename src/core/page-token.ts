import { MlflowError } from './errors.ts';

/**
 * Where the next page starts. `offset` alone is what MLflow's tokens carry (base64 of
 * `{"offset": N}`), and tokens from MLflow clients are accepted as such. Our own tokens add a
 * `watermark`: the highest insertion sequence the first page saw, so that rows inserted while a
 * client pages are left out of the later pages instead of shifting them (no skips, no repeats).
 */
export interface PagePosition {
  readonly offset: number;
  readonly watermark?: number | undefined;
}

export function encodePageToken(position: PagePosition): string {
  return Buffer.from(JSON.stringify(position)).toString('base64');
}

export function decodePageToken(token: string | undefined): PagePosition {
  if (!token) return { offset: 0 };
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(token)) {
    throw MlflowError.invalidParameter('Invalid page token, could not base64-decode');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw MlflowError.invalidParameter('Invalid page token, decoded value=' + JSON.stringify(token));
  }
  const { offset, watermark } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw MlflowError.invalidParameter(`Invalid page token, parsed value=${JSON.stringify(parsed)}`);
  }
  if (watermark !== undefined && (typeof watermark !== 'number' || !Number.isSafeInteger(watermark))) {
    throw MlflowError.invalidParameter(`Invalid page token, parsed value=${JSON.stringify(parsed)}`);
  }
  return { offset, watermark };
}
