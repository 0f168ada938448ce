import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MlflowError } from '../core/errors.ts';
import { PLUMB_VERSION } from '../version.ts';
import { describeData, enforceParams, enforceSchema } from './enforce-schema.ts';
import type { Predictor } from './flavor-plugin.ts';
import type { MlModel } from './mlmodel.ts';
import { type ModelInput, parseCsvRequest, parseJsonRequest } from './model-input.ts';

/** One loaded model: what a request is scored with. Replaced whole when an alias moves. */
export interface ServedModel {
  readonly mlmodel: MlModel;
  readonly predictor: Predictor;
  /** For logs and `/version`-style answers: the URI and the registered version, when there is one. */
  readonly label: string;
}

/** Largest request body accepted (MLflow has no limit; an unbounded buffer is a way to kill the process). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

const UNEXPECTED =
  'Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is compatible with the model for inference.';

/**
 * MLflow's scoring protocol (mlflow/pyfunc/scoring_server): `GET /ping` and `/health` (200 once a
 * model is loaded), `GET /version`, `POST /invocations` with JSON (`dataframe_split`,
 * `dataframe_records`, `instances`, `inputs`, optional `params`) or CSV, answering
 * `{"predictions": …}` or MLflow's `{"error_code", "message"}`.
 *
 * Each request takes the model current when it starts and keeps it to the end: `swap` installs a
 * new model for later requests and closes the old one only when its last request has finished.
 */
export class ScoringServer {
  private current: { model: ServedModel; inFlight: number; retired: boolean } | undefined;
  readonly http: Server;

  constructor(private readonly log: (line: string) => void = () => undefined) {
    this.http = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => this.sendError(response, error));
    });
    // Keep-alive sockets would hold close() open for load-test clients.
    this.http.keepAliveTimeout = 5_000;
  }

  get model(): ServedModel | undefined {
    return this.current?.model;
  }

  /** Serves `model` from now on; the previous one closes once its in-flight requests are answered. */
  async swap(model: ServedModel): Promise<void> {
    const previous = this.current;
    this.current = { model, inFlight: 0, retired: false };
    if (previous) {
      previous.retired = true;
      if (previous.inFlight === 0) await previous.model.predictor.close();
    }
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve());
    });
    const address = this.http.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    return `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  }

  async close(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    const last = this.current;
    this.current = undefined;
    await last?.model.predictor.close();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && (path === '/ping' || path === '/health')) {
      response.writeHead(this.current ? 200 : 404, { 'content-type': 'application/json' }).end('\n');
      return;
    }
    if (request.method === 'GET' && path === '/version') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(PLUMB_VERSION);
      return;
    }
    if (path !== '/invocations') {
      throw new MlflowError('ENDPOINT_NOT_FOUND', `No endpoint ${request.method} ${path}: use POST /invocations`);
    }
    if (request.method !== 'POST') {
      throw new MlflowError('METHOD_NOT_ALLOWED', `${request.method} ${path} is not allowed: use POST`);
    }
    const slot = this.current;
    if (!slot) throw new MlflowError('TEMPORARILY_UNAVAILABLE', 'No model is loaded yet');
    slot.inFlight++;
    try {
      await this.invocations(request, response, slot.model);
    } finally {
      slot.inFlight--;
      if (slot.retired && slot.inFlight === 0) await slot.model.predictor.close();
    }
  }

  private async invocations(request: IncomingMessage, response: ServerResponse, model: ServedModel): Promise<void> {
    const contentType = request.headers['content-type'] ?? '';
    const [mime = '', ...parameters] = contentType.split(';').map((p) => p.trim());
    const options = Object.fromEntries(parameters.map((p) => [p.split('=')[0]!.trim(), p.split('=')[1]?.trim() ?? '']));
    if ((options.charset ?? 'utf-8').toLowerCase() !== 'utf-8') {
      response.writeHead(415, { 'content-type': 'text/plain' }).end('The scoring server only supports UTF-8');
      return;
    }
    const unexpected = Object.keys(options).filter((k) => k !== 'charset');
    if (unexpected.length > 0) {
      response
        .writeHead(415, { 'content-type': 'text/plain' })
        .end(`Unrecognized content type parameters: ${unexpected.join(', ')}.`);
      return;
    }
    if (mime !== 'application/json' && mime !== 'text/csv') {
      response
        .writeHead(415, { 'content-type': 'text/plain' })
        .end(
          `This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got '${contentType}'.`,
        );
      return;
    }
    const text = await readBody(request);
    const parsed = mime === 'text/csv' ? { input: parseCsvRequest(text), params: undefined } : parseJsonRequest(text);
    const signature = model.mlmodel.signature;
    let input: ModelInput = parsed.input;
    let params: Record<string, unknown> | undefined;
    try {
      if (signature?.inputs) input = enforceSchema(input, signature.inputs);
      params = enforceParams(parsed.params, signature?.params);
    } catch (error) {
      throw wrapPredictError(error, parsed.input);
    }
    let predictions: unknown;
    try {
      predictions = await model.predictor.predict(input, params);
    } catch (error) {
      if (error instanceof MlflowError) throw wrapPredictError(error, parsed.input);
      this.log(`prediction failed (${model.label}): ${(error as Error).stack ?? String(error)}`);
      throw new MlflowError('BAD_REQUEST', UNEXPECTED);
    }
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ predictions: predictions ?? null }));
  }

  private sendError(response: ServerResponse, error: unknown): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const mlflow = error instanceof MlflowError ? error : undefined;
    if (!mlflow) this.log(`internal error: ${(error as Error).stack ?? String(error)}`);
    const body = mlflow
      ? { error_code: mlflow.code, message: mlflow.message }
      : { error_code: 'INTERNAL_ERROR', message: 'Internal error while scoring the request' };
    response.writeHead(mlflow?.httpStatus ?? 500, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}

/** The scoring server's prefix on errors raised while predicting: `Failed to predict data '…'. \nError: …`. */
function wrapPredictError(error: unknown, input: ModelInput): unknown {
  if (!(error instanceof MlflowError)) return error;
  return new MlflowError(error.code, `Failed to predict data '${describeData(input)}'. \nError: ${error.message}`);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new MlflowError('BAD_REQUEST', `The request body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  const buffer = Buffer.concat(chunks);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw new MlflowError('BAD_REQUEST', 'The request body is not valid UTF-8');
  }
}
