/** Plumb's TypeScript client: `import { PlumbClient } from 'plumb/client'`. Guide: docs/client.md. */
export { ArtifactsApi, type DownloadResult, type UploadSource } from './artifacts-api.ts';
export type { LogItem, MetricItem, ParamItem, TagItem } from './batching.ts';
export { type AsyncLoggingOptions, type PlumbClientOptions, USER_AGENT } from './client-options.ts';
export {
  ArtifactIntegrityError,
  AsyncLoggingError,
  MlflowApiError,
  PlumbClientError,
  PlumbNetworkError,
} from './errors.ts';
export { type LoggedModel, LoggedModelsApi, type LoggedModelStatus } from './logged-models-api.ts';
export { ActiveRun, PlumbClient, type StartRunOptions, type StepOptions } from './plumb-client.ts';
export { RegistryApi } from './registry-api.ts';
export type { RetryOptions } from './retry.ts';
export { type SearchOptions, TrackingApi } from './tracking-api.ts';
export type * from './wire-types.ts';
