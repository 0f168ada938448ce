import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the proxied artifact service keeps files, as the composition root needs it to build a backend. */
export type ArtifactStoreConfig =
  | { readonly kind: 'local'; readonly uri: string; readonly path: string }
  | {
      readonly kind: 's3';
      readonly uri: string;
      readonly bucket: string;
      readonly prefix: string;
      /** MLFLOW_S3_ENDPOINT_URL: an S3-compatible server (MinIO, Ceph, …) instead of AWS. */
      readonly endpoint?: string | undefined;
      readonly region?: string | undefined;
      /** Bucket in the path rather than the host name; what most S3-compatible servers need. */
      readonly forcePathStyle: boolean;
    }
  | {
      readonly kind: 'azure';
      readonly uri: string;
      readonly container: string;
      readonly account: string;
      readonly prefix: string;
      readonly connectionString?: string | undefined;
      readonly accountKey?: string | undefined;
    };

/** The settings besides the URI that a remote store needs, read from the environment by config.ts. */
export interface ArtifactStoreEnv {
  readonly s3EndpointUrl?: string | undefined;
  readonly s3Region?: string | undefined;
  readonly s3ForcePathStyle?: boolean | undefined;
  readonly azureConnectionString?: string | undefined;
  readonly azureAccountKey?: string | undefined;
}

const trimSlashes = (value: string) => value.replace(/^\/+|\/+$/g, '');

/**
 * Parses `--artifacts-destination`: a local path, `file:` URI, `s3://bucket/prefix`,
 * `wasbs://container@account.blob.core.windows.net/prefix` (or `wasb://`), or
 * `https://account.blob.core.windows.net/container/prefix`. Returns a problem string otherwise.
 */
export function parseArtifactStoreUri(value: string, env: ArtifactStoreEnv, cwd: string): ArtifactStoreConfig | string {
  if (value.startsWith('file:')) {
    try {
      return { kind: 'local', uri: value, path: fileURLToPath(value) };
    } catch {
      return 'is not a valid file: URI';
    }
  }
  const s3 = /^s3a?:\/\/([^/]+)(\/.*)?$/.exec(value);
  if (s3) {
    const bucket = s3[1]!;
    if (bucket.includes('@')) return 'must not carry credentials: use the standard AWS credential chain';
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return 'has an invalid S3 bucket name';
    return {
      kind: 's3',
      uri: value,
      bucket,
      prefix: trimSlashes(s3[2] ?? ''),
      endpoint: env.s3EndpointUrl,
      region: env.s3Region,
      forcePathStyle: env.s3ForcePathStyle ?? env.s3EndpointUrl !== undefined,
    };
  }
  const wasbs = /^wasbs?:\/\/([^@/]+)@([^./]+)\.blob\.core\.windows\.net(\/.*)?$/.exec(value);
  const https = /^https:\/\/([^./]+)\.blob\.core\.windows\.net\/([^/]+)(\/.*)?$/.exec(value);
  if (wasbs || https) {
    const [container, account, rest] = wasbs ? [wasbs[1]!, wasbs[2]!, wasbs[3]] : [https![2]!, https![1]!, https![3]];
    if (!env.azureConnectionString && !env.azureAccountKey) {
      return 'needs AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY';
    }
    return {
      kind: 'azure',
      uri: value,
      container,
      account,
      prefix: trimSlashes(rest ?? ''),
      connectionString: env.azureConnectionString,
      accountKey: env.azureAccountKey,
    };
  }
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value)) {
    return 'is not a supported artifact store (use a local path, file:, s3:// or wasbs://)';
  }
  return { kind: 'local', uri: value, path: resolve(cwd, value) };
}
