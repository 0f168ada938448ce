import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Where secrets could reach a log line as structured fields: request headers and credentials
 * under any key of a logged object. URLs are redacted where they are logged (redactUri,
 * redactRequestTarget), since a path expression cannot see inside a string.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
];

/** The server's JSON logger (pino): one object per line, secrets censored. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '***' } };
  return destination ? pino(options, destination) : pino(options);
}
