import { type ErrorCode, MlflowError } from '../../core/errors.ts';

/**
 * S3 error codes (the SDK's `error.name`) → MlflowError codes: the one table for this backend.
 * Codes not listed are INTERNAL_ERROR: a misconfigured bucket or credentials is the server's
 * problem, not something the client can fix (so AccessDenied is not PERMISSION_DENIED).
 */
const S3_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  NoSuchKey: 'RESOURCE_DOES_NOT_EXIST',
  // HeadObject has no body, so the SDK can only name its 404 'NotFound'.
  NotFound: 'RESOURCE_DOES_NOT_EXIST',
  NoSuchUpload: 'RESOURCE_DOES_NOT_EXIST',
  InvalidPart: 'INVALID_PARAMETER_VALUE',
  InvalidPartOrder: 'INVALID_PARAMETER_VALUE',
  EntityTooSmall: 'INVALID_PARAMETER_VALUE',
  EntityTooLarge: 'INVALID_PARAMETER_VALUE',
  MalformedXML: 'INVALID_PARAMETER_VALUE',
  InvalidArgument: 'INVALID_PARAMETER_VALUE',
  InvalidRequest: 'INVALID_PARAMETER_VALUE',
  KeyTooLongError: 'INVALID_PARAMETER_VALUE',
  IncompleteBody: 'INVALID_PARAMETER_VALUE',
  // Create-only writes (If-None-Match: *): an object exists, or (AWS) a racing write holds the key.
  PreconditionFailed: 'RESOURCE_CONFLICT',
  ConditionalRequestConflict: 'RESOURCE_CONFLICT',
  // The bytes S3 received are not the bytes we sent (checksum or digest mismatch).
  BadDigest: 'DATA_LOSS',
  InvalidDigest: 'DATA_LOSS',
  XAmzContentSHA256Mismatch: 'DATA_LOSS',
  SlowDown: 'TEMPORARILY_UNAVAILABLE',
  ServiceUnavailable: 'TEMPORARILY_UNAVAILABLE',
  RequestTimeout: 'TEMPORARILY_UNAVAILABLE',
  TimeoutError: 'TEMPORARILY_UNAVAILABLE',
  AbortError: 'CANCELLED',
};

/** Network failures before S3 could answer: the store is unreachable, which a retry may fix. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
}

/**
 * Translates whatever an S3 call threw into an MlflowError. `subject` names what was addressed
 * (`Artifact 'a/b.txt'`, `Upload 'x' for 'a/b.txt'`) and starts the not-found message, so the
 * wording matches the other backends. MlflowErrors pass through unchanged.
 */
export function s3Error(error: unknown, operation: string, subject: string): MlflowError {
  if (error instanceof MlflowError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const status = shape.$metadata?.httpStatusCode;
  const details = {
    operation,
    s3Code: name,
    ...(status !== undefined && { httpStatus: status }),
    ...(shape.$metadata?.requestId !== undefined && { requestId: shape.$metadata.requestId }),
  };
  let code: ErrorCode = S3_ERROR_CODES[name] ?? 'INTERNAL_ERROR';
  if (
    code === 'INTERNAL_ERROR' &&
    (status === 503 || (typeof shape.code === 'string' && UNREACHABLE.has(shape.code)))
  ) {
    code = 'TEMPORARILY_UNAVAILABLE';
  }
  if (code === 'RESOURCE_DOES_NOT_EXIST') return new MlflowError(code, `${subject} does not exist`, details);
  if (code === 'RESOURCE_CONFLICT') return new MlflowError(code, `${subject} already exists`, details);
  if (code === 'CANCELLED')
    return new MlflowError(code, `${operation} of ${lowerFirst(subject)} was cancelled`, details);
  const message = typeof shape.message === 'string' && shape.message !== '' ? shape.message : name;
  return new MlflowError(code, `S3 ${operation} failed for ${lowerFirst(subject)}: ${name}: ${message}`, details);
}

/** Whether `error` (raw or translated) says the addressed object or upload does not exist. */
export function isS3NotFound(error: unknown): boolean {
  if (error instanceof MlflowError) return error.code === 'RESOURCE_DOES_NOT_EXIST';
  const name = (error as SdkErrorShape | undefined)?.name;
  return typeof name === 'string' && S3_ERROR_CODES[name] === 'RESOURCE_DOES_NOT_EXIST';
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
