import type { HttpTransport } from './transport.ts';
import type { KeyValue, ModelVersion, RegisteredModel } from './wire-types.ts';

const API = '/api/2.0/mlflow';

/**
 * The model registry API with MLflow's shapes and methods (PATCH for updates, DELETE with a JSON
 * body for deletes). Creates and deletes are not idempotent (a second create adds a version or
 * answers RESOURCE_ALREADY_EXISTS, a second delete RESOURCE_DOES_NOT_EXIST), so only a refused
 * connection, 429 or 503 retries them.
 */
export class RegistryApi {
  constructor(private readonly http: HttpTransport) {}

  private call<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    payload: Record<string, unknown>,
    idempotent: boolean,
  ): Promise<T> {
    const url = `${API}/${path}`;
    if (method === 'GET') {
      return this.http.json<T>('GET', url, { query: payload as Record<string, string>, idempotent: true });
    }
    return this.http.json<T>(method, url, { body: payload, idempotent });
  }

  async createRegisteredModel(request: {
    name: string;
    description?: string;
    tags?: readonly KeyValue[];
  }): Promise<RegisteredModel> {
    return (await this.call<{ registered_model: RegisteredModel }>('POST', 'registered-models/create', request, false))
      .registered_model;
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return (await this.call<{ registered_model: RegisteredModel }>('GET', 'registered-models/get', { name }, true))
      .registered_model;
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const body = { name, new_name: newName };
    return (await this.call<{ registered_model: RegisteredModel }>('POST', 'registered-models/rename', body, false))
      .registered_model;
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    const body = { name, description };
    return (await this.call<{ registered_model: RegisteredModel }>('PATCH', 'registered-models/update', body, true))
      .registered_model;
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.call('DELETE', 'registered-models/delete', { name }, false);
  }

  async searchRegisteredModels(
    request: { filter?: string; max_results?: number; order_by?: readonly string[]; page_token?: string } = {},
  ): Promise<{ registered_models: RegisteredModel[]; next_page_token?: string }> {
    const reply = await this.call<{ registered_models?: RegisteredModel[]; next_page_token?: string }>(
      'GET',
      'registered-models/search',
      request,
      true,
    );
    return { ...reply, registered_models: reply.registered_models ?? [] };
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'registered-models/set-tag', { name, key, value }, true);
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.call('DELETE', 'registered-models/delete-tag', { name, key }, false);
  }

  /** Points the alias at the version; repeating it changes nothing, so it is retried like a read. */
  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call('POST', 'registered-models/alias', { name, alias, version }, true);
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.call('DELETE', 'registered-models/alias', { name, alias }, false);
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return (await this.call<{ model_version: ModelVersion }>('GET', 'registered-models/alias', { name, alias }, true))
      .model_version;
  }

  async createModelVersion(request: {
    name: string;
    source: string;
    run_id?: string;
    description?: string;
    run_link?: string;
    model_id?: string;
    tags?: readonly KeyValue[];
  }): Promise<ModelVersion> {
    return (await this.call<{ model_version: ModelVersion }>('POST', 'model-versions/create', request, false))
      .model_version;
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return (await this.call<{ model_version: ModelVersion }>('GET', 'model-versions/get', { name, version }, true))
      .model_version;
  }

  async updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    const body = { name, version, description };
    return (await this.call<{ model_version: ModelVersion }>('PATCH', 'model-versions/update', body, true))
      .model_version;
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    await this.call('DELETE', 'model-versions/delete', { name, version }, false);
  }

  async searchModelVersions(
    request: { filter?: string; max_results?: number; order_by?: readonly string[]; page_token?: string } = {},
  ): Promise<{ model_versions: ModelVersion[]; next_page_token?: string }> {
    const reply = await this.call<{ model_versions?: ModelVersion[]; next_page_token?: string }>(
      'GET',
      'model-versions/search',
      request,
      true,
    );
    return { ...reply, model_versions: reply.model_versions ?? [] };
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const query = { name, version };
    return (await this.call<{ artifact_uri: string }>('GET', 'model-versions/get-download-uri', query, true))
      .artifact_uri;
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'model-versions/set-tag', { name, version, key, value }, true);
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    await this.call('DELETE', 'model-versions/delete-tag', { name, version, key }, false);
  }
}
