/**
 * What the client throws. Every failure is one of these classes, so callers can tell a refusal by
 * the server (MlflowApiError: MLflow's error_code and the HTTP status) from a server that could not
 * be reached (PlumbNetworkError) or bytes that did not match their digest (ArtifactIntegrityError).
 */
export class PlumbClientError extends Error {
  override readonly name: string = 'PlumbClientError';
}

/** The server answered with an error: `errorCode` is MLflow's code (`RESOURCE_DOES_NOT_EXIST`, …). */
export class MlflowApiError extends PlumbClientError {
  override readonly name = 'MlflowApiError';
  constructor(
    readonly errorCode: string,
    readonly status: number,
    message: string,
    readonly details?: unknown,
    /** How many times the request was sent before this answer was accepted as final. */
    readonly attempts = 1,
  ) {
    super(`${errorCode} (HTTP ${status}): ${message}`);
  }

  /**
   * The error of a non-2xx answer. A body that is not MLflow's `{error_code, message}` (a proxy's
   * HTML page, an empty 502) still becomes an MlflowApiError, with a code derived from the status.
   */
  static fromResponse(status: number, body: string, attempts: number): MlflowApiError {
    try {
      const parsed = JSON.parse(body) as { error_code?: unknown; message?: unknown; details?: unknown };
      if (typeof parsed.error_code === 'string') {
        return new MlflowApiError(
          parsed.error_code,
          status,
          typeof parsed.message === 'string' ? parsed.message : '',
          parsed.details,
          attempts,
        );
      }
    } catch {
      // not JSON: fall through to the status-derived code
    }
    return new MlflowApiError(codeOfStatus(status), status, body.slice(0, 500), undefined, attempts);
  }
}

/** The request never got an answer (refused, reset, timed out), even after the retries allowed. */
export class PlumbNetworkError extends PlumbClientError {
  override readonly name = 'PlumbNetworkError';
  constructor(
    message: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A downloaded artifact's sha256 differs from the one the server's manifest recorded. */
export class ArtifactIntegrityError extends PlumbClientError {
  override readonly name = 'ArtifactIntegrityError';
  constructor(
    readonly path: string,
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(`artifact '${path}' has sha256 ${actualSha256}, the server's manifest says ${expectedSha256}`);
  }
}

/** MLflow's mapping read backwards, for answers that carry no error_code of their own. */
function codeOfStatus(status: number): string {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'ENDPOINT_NOT_FOUND';
    case 409:
      return 'RESOURCE_CONFLICT';
    case 429:
      return 'REQUEST_LIMIT_EXCEEDED';
    case 501:
      return 'NOT_IMPLEMENTED';
    case 503:
      return 'TEMPORARILY_UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return 'INTERNAL_ERROR';
  }
}

/**
 * Background log-batch requests failed: their values were not stored. Raised by the next logging
 * call, flush() or close() after the failure, once; `cause` is the first request's error.
 */
export class AsyncLoggingError extends PlumbClientError {
  override readonly name = 'AsyncLoggingError';
  constructor(
    readonly lostValues: number,
    readonly failedRequests: number,
    cause: unknown,
  ) {
    super(
      `${lostValues} logged value(s) in ${failedRequests} log-batch request(s) were not stored: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
