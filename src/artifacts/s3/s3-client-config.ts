import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { MlflowError } from '../../core/errors.ts';

const ignore = (): void => undefined;
const SILENT_LOGGER = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };

export interface S3ArtifactRepositoryOptions {
  readonly bucket: string;
  /** Key prefix below which every artifact lives (`s3://bucket/<prefix>`); '' for the whole bucket. */
  readonly prefix: string;
  /** An S3-compatible endpoint (MinIO, Ceph…), as MLflow's MLFLOW_S3_ENDPOINT_URL. Omit for AWS. */
  readonly endpoint?: string | undefined;
  /** Omitted: the SDK's chain (AWS_REGION, shared config); `us-east-1` when an endpoint is given. */
  readonly region?: string | undefined;
  /** Path-style URLs (`endpoint/bucket/key`); defaults to true when an endpoint is given. */
  readonly forcePathStyle?: boolean | undefined;
  /** Omitted: the SDK's standard chain (environment, shared config and credentials files, IMDS…). */
  readonly credentials?:
    | { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string | undefined }
    | undefined;
}

/**
 * The S3 client settings this backend relies on, shared by the factory and the tests that point
 * a client at a fake server.
 *
 * Checksums: the SDK's default (`WHEN_SUPPORTED`) sends a stream body with aws-chunked encoding
 * and a trailing checksum, which S3-compatible servers that predate it reject (Ceph 16 answers
 * 411 MissingContentLength). So checksums are sent only when an operation requires one, or when
 * the request asks for one explicitly: `put` does (its parts are in memory, so the checksum goes
 * in a header every server accepts, and AWS verifies it).
 */
export function s3ClientConfig(options: S3ArtifactRepositoryOptions): S3ClientConfig {
  const endpoint = options.endpoint;
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw MlflowError.invalidParameter(`Invalid S3 endpoint '${endpoint}': an http(s) URL is required`);
    }
  }
  if (options.bucket === '' || options.bucket.includes('/')) {
    throw MlflowError.invalidParameter(`Invalid S3 bucket name '${options.bucket}'`);
  }
  return {
    endpoint,
    region: options.region ?? (endpoint === undefined ? undefined : 'us-east-1'),
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    credentials: options.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    // Without a logger the SDK writes to the console, e.g. a warning for every part whose body
    // failed; each failure reaches the caller as an MlflowError instead.
    logger: SILENT_LOGGER,
  };
}
