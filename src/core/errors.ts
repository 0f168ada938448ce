/**
 * The one error type that crosses layers. Codes and statuses mirror MLflow's
 * `mlflow/exceptions.py` so that every client maps our errors exactly as it maps MLflow's.
 */
export const ERROR_CODES = [
  'INVALID_PARAMETER_VALUE',
  'BAD_REQUEST',
  'RESOURCE_ALREADY_EXISTS',
  'UNAUTHENTICATED',
  'CUSTOMER_UNAUTHORIZED',
  'PERMISSION_DENIED',
  'RESOURCE_DOES_NOT_EXIST',
  'NOT_FOUND',
  'ENDPOINT_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'ALREADY_EXISTS',
  'RESOURCE_CONFLICT',
  'ABORTED',
  'REQUEST_LIMIT_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'CANCELLED',
  'INTERNAL_ERROR',
  'INVALID_STATE',
  'DATA_LOSS',
  'NOT_IMPLEMENTED',
  'TEMPORARILY_UNAVAILABLE',
  'DEADLINE_EXCEEDED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  // MLflow's legacy mapping: a duplicate name is a 400, not a 409.
  RESOURCE_ALREADY_EXISTS: 400,
  UNAUTHENTICATED: 401,
  CUSTOMER_UNAUTHORIZED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_DOES_NOT_EXIST: 404,
  NOT_FOUND: 404,
  ENDPOINT_NOT_FOUND: 404,
  // Not an MLflow code: MLflow answers a wrong method with an HTML 405 page; we answer JSON.
  METHOD_NOT_ALLOWED: 405,
  ALREADY_EXISTS: 409,
  RESOURCE_CONFLICT: 409,
  ABORTED: 409,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL_ERROR: 500,
  // sic: MLflow maps INVALID_STATE to 500.
  INVALID_STATE: 500,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

export class MlflowError extends Error {
  override readonly name = 'MlflowError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Sent as Retry-After: how long a refused client should wait (MLflow's clients honour it). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  static invalidParameter(message: string): MlflowError {
    return new MlflowError('INVALID_PARAMETER_VALUE', message);
  }

  static notFound(message: string): MlflowError {
    return new MlflowError('RESOURCE_DOES_NOT_EXIST', message);
  }

  static alreadyExists(message: string): MlflowError {
    return new MlflowError('RESOURCE_ALREADY_EXISTS', message);
  }

  static missingParameter(name: string): MlflowError {
    return new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
    );
  }
}

export function isMlflowError(error: unknown): error is MlflowError {
  return error instanceof MlflowError;
}
