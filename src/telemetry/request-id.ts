import { randomUUID } from 'node:crypto';

/** Visible ASCII without separators that would break a log line or a header, as proxies generate them. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The caller's X-Request-Id when it is a sane token (a proxy's or client's id), a fresh UUID otherwise. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

const SECRET_QUERY_KEY = /pass|pwd|secret|token|sig|credential|key|auth/i;

/** A request target as it may be logged: values of query parameters that look secret become `***`. */
export function redactRequestTarget(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  return (
    url.slice(0, at) +
    url
      .slice(at)
      .replace(/([?&;])([^=&;#]*)=([^&;#]*)/g, (whole, sep: string, key: string) =>
        SECRET_QUERY_KEY.test(decodeSafely(key)) ? `${sep}${key}=***` : whole,
      )
  );
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
