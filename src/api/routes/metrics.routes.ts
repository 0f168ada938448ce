import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { Metric } from '../../core/entities.ts';
import type { Router } from '../http-server.ts';
import { listResponse, toWireDatasetSummary, toWireMetric, toWireMetricWithRunId } from '../mappers.ts';
import * as S from '../schemas/tracking.schemas.ts';
import { parseMessage, required } from '../wire.ts';
import { runIdOf } from './runs.routes.ts';
import type { TrackingServices } from './tracking-services.ts';

export function registerMetricRoutes(router: Router, { history }: TrackingServices): void {
  router.endpoint({
    methods: ['GET'],
    path: '/metrics/get-history',
    schema: S.GetMetricHistory,
    async handler(m, _request, reply) {
      if (m.max_results === undefined && m.page_token === undefined) {
        const points = await history.historyStream(runIdOf(m), required(m.metric_key, 'metric_key'));
        return streamMetrics(points, reply);
      }
      const page = await history.history(runIdOf(m), required(m.metric_key, 'metric_key'), {
        maxResults: m.max_results,
        pageToken: m.page_token,
      });
      return listResponse('metrics', page.items.map(toWireMetric), page.nextPageToken);
    },
  });
  router.endpoint({
    methods: ['GET'],
    path: '/metrics/get-history-bulk-interval',
    schema: S.GetMetricHistoryBulkInterval,
    async handler(m) {
      const metrics = await history.bulkInterval({
        runIds: required(m.run_ids, 'run_ids'),
        metricKey: required(m.metric_key, 'metric_key'),
        startStep: m.start_step,
        endStep: m.end_step,
        maxResults: m.max_results,
      });
      return listResponse('metrics', metrics.map(toWireMetricWithRunId));
    },
  });
  router.endpoint({
    methods: ['GET'],
    path: '/metrics/get-history-bulk',
    schema: S.GetMetricHistoryBulk,
    async handler(m) {
      const metrics = await history.bulk(m.run_id, m.metric_key ?? '', m.max_results);
      return listResponse('metrics', metrics.map(toWireMetricWithRunId));
    },
  });
  registerDownsampledHistory(router, history);
  router.endpoint({
    methods: ['POST'],
    path: '/experiments/search-datasets',
    schema: S.SearchDatasets,
    async handler(m) {
      const summaries = await history.searchDatasets(m.experiment_ids);
      return listResponse('dataset_summaries', summaries.map(toWireDatasetSummary));
    },
  });
}

/** Points per chunk of a streamed history: large enough that chunk overhead vanishes, small enough to stay flat in memory. */
const POINTS_PER_CHUNK = 2000;

/**
 * The whole history as one JSON body, written while the store pages through it. The first point
 * is read before anything is sent, so an empty history is `{}` (as MLflow answers) and an error
 * on the first page is still a normal error response.
 */
async function streamMetrics(points: AsyncIterable<Metric>, reply: FastifyReply): Promise<unknown> {
  const iterator = points[Symbol.asyncIterator]();
  const head = await iterator.next();
  if (head.done) return {};
  async function* body(): AsyncGenerator<string> {
    let chunk = `{"metrics":[${JSON.stringify(toWireMetric(head.value as Metric))}`;
    let count = 1;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      chunk += `,${JSON.stringify(toWireMetric(next.value))}`;
      if (++count % POINTS_PER_CHUNK === 0) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}]}`;
  }
  void reply.type('application/json; charset=utf-8');
  return Readable.from(body());
}

const DOWNSAMPLED_PATH = '2.0/plumb/metrics/get-history-downsampled';

/**
 * `GET /api/2.0/plumb/metrics/get-history-downsampled?run_id=&metric_key=&max_points=&start_step=&end_step=`:
 * a chart's view of one history in at most max_points points (docs/api.md), with
 * `step_bucket_width` when the points were bucketed.
 */
function registerDownsampledHistory(router: Router, history: TrackingServices['history']): void {
  for (const prefix of ['/api/', '/ajax-api/']) {
    const url = `${prefix}${DOWNSAMPLED_PATH}`;
    router.remember(url, ['GET']);
    router.app.get(url, async (request) => {
      const m = parseMessage(S.GetMetricHistoryDownsampled, request.query);
      const result = await history.downsampled({
        runId: runIdOf(m),
        metricKey: required(m.metric_key, 'metric_key'),
        startStep: m.start_step,
        endStep: m.end_step,
        maxPoints: m.max_points,
      });
      return {
        ...listResponse('metrics', result.items.map(toWireMetric)),
        ...(result.bucketWidth === undefined ? {} : { step_bucket_width: result.bucketWidth }),
      };
    });
  }
}
