import type { Router } from '../http-server.ts';
import { listResponse, toWireDatasetSummary, toWireMetric, toWireMetricWithRunId } from '../mappers.ts';
import * as S from '../schemas/tracking.schemas.ts';
import { required } from '../wire.ts';
import { runIdOf } from './runs.routes.ts';
import type { TrackingServices } from './tracking-services.ts';

export function registerMetricRoutes(router: Router, { history }: TrackingServices): void {
  router.endpoint({
    methods: ['GET'],
    path: '/metrics/get-history',
    schema: S.GetMetricHistory,
    async handler(m) {
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
