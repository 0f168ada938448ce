import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createHttpServer } from './http-server.ts';
import { type ArtifactRouteDeps, registerArtifactRoutes } from './routes/artifacts.routes.ts';
import { registerLoggedModelRoutes } from './routes/logged-models.routes.ts';
import { registerExperimentRoutes } from './routes/experiments.routes.ts';
import { registerMetricRoutes } from './routes/metrics.routes.ts';
import { registerMlModelRoutes } from './routes/mlmodel.routes.ts';
import { type NodeRouteService, registerNodeRoutes } from './routes/nodes.routes.ts';
import { registerRegistryRoutes } from './routes/registry.routes.ts';
import type { RegistryServices } from './routes/registry-services.ts';
import { registerStoreStatusRoutes, type StoreStatusRouteService } from './routes/store-status.routes.ts';
import { registerRunRoutes } from './routes/runs.routes.ts';
import type { TrackingServices } from './routes/tracking-services.ts';
import { registerUiRoutes } from './ui-routes.ts';
import { registerWebhookRoutes, type WebhookRouteService } from './routes/webhooks.routes.ts';
import { registerTelemetry } from '../telemetry/http-telemetry.ts';
import type { Telemetry } from '../telemetry/telemetry.ts';

export interface HttpDeps {
  readonly tracking: TrackingServices;
  readonly registry: RegistryServices;
  readonly artifacts: ArtifactRouteDeps;
  readonly webhooks?: WebhookRouteService | undefined;
  readonly nodes?: NodeRouteService | undefined;
  readonly storeStatus?: StoreStatusRouteService | undefined;
  readonly logger: Logger;
  readonly version: string;
  /** The built web UI served at `/` (see ui-routes.ts); no UI routes without it. */
  readonly uiDir?: string | undefined;
  /** Request ids, metrics, spans, slow-request logs and the client-version policy. */
  readonly telemetry?: Telemetry | undefined;
}

export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  const { app, router } = createHttpServer(deps.logger);
  app.get('/health', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('OK'));
  app.get('/version', async (_request, reply) => reply.type('text/plain; charset=utf-8').send(deps.version));
  router.remember('/health', ['GET']);
  router.remember('/version', ['GET']);
  registerExperimentRoutes(router, deps.tracking);
  registerRunRoutes(router, deps.tracking);
  registerMetricRoutes(router, deps.tracking);
  registerRegistryRoutes(router, deps.registry);
  registerArtifactRoutes(app, router, deps.artifacts);
  if (deps.webhooks) registerWebhookRoutes(router, deps.webhooks);
  if (deps.storeStatus) registerStoreStatusRoutes(router, deps.storeStatus);
  if (deps.nodes) {
    const nodes = deps.nodes;
    registerNodeRoutes(router, nodes);
    app.addHook('onRequest', (request, _reply, done) => {
      nodes.noteClient(request.headers['user-agent']);
      done();
    });
  }
  // After the node registry's hook, so clients the version policy refuses are still counted there.
  if (deps.telemetry) registerTelemetry(app, deps.telemetry);
  registerLoggedModelRoutes(app, { loggedModels: deps.tracking.loggedModels, artifacts: deps.artifacts.artifacts });
  registerMlModelRoutes(router, deps.artifacts);
  if (deps.uiDir !== undefined) registerUiRoutes(app, { dir: deps.uiDir });
  return app;
}
