import type { ExperimentService } from '../../tracking/experiment.service.ts';
import type { LoggedModelService } from '../../tracking/logged-model.service.ts';
import type { LoggingService } from '../../tracking/logging.service.ts';
import type { MetricHistoryService } from '../../tracking/metric-history.service.ts';
import type { RunService } from '../../tracking/run.service.ts';

export interface TrackingServices {
  readonly experiments: ExperimentService;
  readonly runs: RunService;
  readonly logging: LoggingService;
  readonly history: MetricHistoryService;
  readonly loggedModels: LoggedModelService;
}
