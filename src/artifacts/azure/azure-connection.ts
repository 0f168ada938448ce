import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { parseArtifactPath } from '../../core/artifact-path.ts';
import { MlflowError } from '../../core/errors.ts';

/**
 * Where a repository lives and how to authenticate, as MLflow takes them: the container and
 * account from `wasbs://<container>@<account>.blob.core.windows.net/<prefix>`, and the secret
 * from AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY. The caller (config) reads
 * the environment; nothing here does.
 */
export interface AzureArtifactOptions {
  readonly container: string;
  /** Blob-name prefix that holds the repository, without leading or trailing '/'; '' for the whole container. */
  readonly prefix: string;
  readonly account?: string | undefined;
  /** Wins over `accountKey`, as in MLflow. Its endpoint and account are used. */
  readonly connectionString?: string | undefined;
  readonly accountKey?: string | undefined;
  /** Blob service URL for `account` + `accountKey`; default `https://<account>.blob.core.windows.net`. */
  readonly endpoint?: string | undefined;
}

export interface AzureConnection {
  readonly service: BlobServiceClient;
  readonly container: string;
  readonly prefix: string;
  readonly description: string;
}

const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

function invalid(message: string): MlflowError {
  return MlflowError.invalidParameter(`Azure artifact store: ${message}`);
}

/** A service URL without query (a SAS), fragment or credentials, and without a trailing '/'. */
function publicBase(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalid('the endpoint is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('the endpoint must be an http(s) URL');
  return url;
}

/**
 * `wasbs://container@account.blob.core.windows.net/prefix` for account-per-host endpoints (every
 * Azure cloud), and the plain URL for path-style ones (Azurite): never a key or SAS.
 */
export function describeLocation(serviceUrl: string, account: string, container: string, prefix: string): string {
  const url = new URL(serviceUrl);
  const base = publicBase(url);
  if (url.hostname.startsWith(`${account}.`) && base === url.origin) {
    const scheme = url.protocol === 'https:' ? 'wasbs' : 'wasb';
    return `${scheme}://${container}@${url.host}/${prefix}`;
  }
  return `${base}/${container}/${prefix}`;
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  try {
    return parseArtifactPath(trimmed, { allowRoot: true });
  } catch {
    throw invalid(`the prefix '${prefix}' is not a safe relative path`);
  }
}

function fromConnectionString(options: AzureArtifactOptions, connectionString: string): BlobServiceClient {
  let service: BlobServiceClient;
  try {
    service = BlobServiceClient.fromConnectionString(connectionString);
  } catch {
    // The SDK's message may quote the string, and with it the key.
    throw invalid('the connection string is malformed');
  }
  if (options.account !== undefined && options.account !== service.accountName) {
    throw invalid(`the connection string is for account '${service.accountName}', not '${options.account}'`);
  }
  if (
    options.endpoint !== undefined &&
    publicBase(parseEndpoint(options.endpoint)) !== publicBase(new URL(service.url))
  ) {
    throw invalid('the endpoint differs from the one in the connection string');
  }
  return service;
}

/** Validates `options` and builds the service client; throws INVALID_PARAMETER_VALUE naming the problem. */
export function connectAzure(options: AzureArtifactOptions): AzureConnection {
  if (!CONTAINER_NAME.test(options.container)) {
    throw invalid(`'${options.container}' is not a valid container name (3-63 of a-z, 0-9 and single '-')`);
  }
  if (options.account !== undefined && !ACCOUNT_NAME.test(options.account)) {
    throw invalid(`'${options.account}' is not a valid storage account name`);
  }
  const prefix = normalizePrefix(options.prefix);
  let service: BlobServiceClient;
  if (options.connectionString) {
    service = fromConnectionString(options, options.connectionString);
  } else if (options.accountKey) {
    if (options.account === undefined) throw invalid('an account key needs the account name');
    const url = options.endpoint
      ? publicBase(parseEndpoint(options.endpoint))
      : `https://${options.account}.blob.core.windows.net`;
    service = new BlobServiceClient(url, new StorageSharedKeyCredential(options.account, options.accountKey));
  } else {
    throw invalid('set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCESS_KEY with the account name');
  }
  const description = describeLocation(service.url, service.accountName, options.container, prefix);
  return { service, container: options.container, prefix, description };
}
