import { RestError } from '@azure/storage-blob';
import { MlflowError } from '../../core/errors.ts';

/** Error codes of a block list that names blocks Azure does not have, or ids it will not take. */
const BAD_BLOCK_LIST = new Set(['InvalidBlockList', 'InvalidBlobOrBlock', 'InvalidBlockId']);

/** Azure's error code; answers without a body (HEAD) carry it only in the x-ms-error-code header. */
function azureCode(error: RestError): string {
  const header = (error.details as { errorCode?: unknown } | undefined)?.errorCode;
  return error.code ?? (typeof header === 'string' ? header : 'no error code');
}

export function isBlobNotFound(error: unknown): boolean {
  return error instanceof RestError && error.statusCode === 404 && azureCode(error) !== 'ContainerNotFound';
}

export function cancelled(what: string): MlflowError {
  return new MlflowError('CANCELLED', `${what} was cancelled`);
}

/**
 * Turns what the Azure SDK throws into an MlflowError at the backend's boundary. `what` names the
 * object for messages ("Artifact 'a/b'"). The SDK's messages are not passed on: they can carry
 * request URLs, and with them SAS tokens. Errors that are not Azure's (a client's failing stream,
 * an MlflowError of ours) pass through unchanged.
 */
export function translateAzureError(error: unknown, what: string, container: string): Error {
  if (error instanceof MlflowError) return error;
  if (error instanceof Error && error.name === 'AbortError') return cancelled(what);
  if (!(error instanceof RestError)) {
    return error instanceof Error ? error : new MlflowError('INTERNAL_ERROR', `${what}: ${String(error)}`);
  }
  const status = error.statusCode;
  const code = azureCode(error);
  const details = { azureStatus: status, azureCode: code };
  if (status === undefined) {
    // No answer at all (connection refused, reset, DNS): the SDK has already retried.
    return new MlflowError('TEMPORARILY_UNAVAILABLE', `${what}: Azure Blob Storage did not answer`, details);
  }
  if (code === 'ContainerNotFound') {
    // A configuration problem, not a missing artifact: say so loudly rather than answer 404.
    return new MlflowError('INVALID_STATE', `The Azure container '${container}' does not exist`, details);
  }
  if (status === 404) return MlflowError.notFound(`${what} does not exist`);
  if (status === 412 || (status === 409 && code === 'BlobAlreadyExists')) {
    return new MlflowError('RESOURCE_CONFLICT', `${what} already exists`, details);
  }
  if (status === 400 && BAD_BLOCK_LIST.has(code)) {
    return MlflowError.invalidParameter(`${what}: the block list is not valid (${code})`);
  }
  if (status === 400) return MlflowError.invalidParameter(`${what}: Azure refused the request (${code})`);
  if (status === 401 || status === 403) {
    return new MlflowError(
      'INTERNAL_ERROR',
      `${what}: Azure Blob Storage refused the server's credentials (${code})`,
      details,
    );
  }
  if (status === 409 || status === 412) {
    return new MlflowError('RESOURCE_CONFLICT', `${what}: conflicting change (${code})`, details);
  }
  if (status === 429 || status >= 500) {
    return new MlflowError(
      'TEMPORARILY_UNAVAILABLE',
      `${what}: Azure Blob Storage is unavailable (${status})`,
      details,
    );
  }
  return new MlflowError('INTERNAL_ERROR', `${what}: Azure answered ${status} (${code})`, details);
}
