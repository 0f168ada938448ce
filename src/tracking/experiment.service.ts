import { joinArtifactUri } from '../core/artifact-uri.ts';
import type { Clock } from '../core/clock.ts';
import {
  DEFAULT_EXPERIMENT_ID,
  DEFAULT_EXPERIMENT_NAME,
  type Experiment,
  type Page,
  type Tag,
  type ViewType,
} from '../core/entities.ts';
import { MlflowError } from '../core/errors.ts';
import { parseExperimentId, validateExperimentName, validateExperimentTag } from '../core/validation.ts';
import { parseExperimentFilter } from '../search/filter-parser.ts';
import { parseExperimentOrderBy } from '../search/order-by-parser.ts';
import type { TrackingStore, TrackingWrites } from '../store/store.ts';
import { searchPage, validateMaxResults } from './paging.ts';

export interface ExperimentServiceDeps {
  readonly store: TrackingStore;
  readonly clock: Clock;
  /** Root new experiments' artifact locations derive from, e.g. `mlflow-artifacts:/`. */
  readonly defaultArtifactRoot: string;
}

export interface ExperimentSearch {
  readonly filter?: string | undefined;
  readonly orderBy?: readonly string[] | undefined;
  readonly viewType?: ViewType | undefined;
  readonly maxResults?: number | undefined;
  readonly pageToken?: string | undefined;
}

const ARTIFACT_LOCATION_MAX = 2000;

export class ExperimentService {
  constructor(private readonly deps: ExperimentServiceDeps) {}

  /** Creates experiment 0 "Default" on a store that has no experiment yet. */
  async ensureDefaultExperiment(): Promise<void> {
    const location = joinArtifactUri(this.deps.defaultArtifactRoot, DEFAULT_EXPERIMENT_ID);
    await this.deps.store.write((tx) =>
      tx.ensureDefaultExperiment(DEFAULT_EXPERIMENT_NAME, location, this.deps.clock.now()),
    );
  }

  async create(input: { name: string; artifactLocation?: string | undefined; tags: readonly Tag[] }): Promise<string> {
    validateExperimentName(input.name);
    input.tags.forEach(validateExperimentTag);
    const artifactLocation = input.artifactLocation || undefined;
    if (artifactLocation !== undefined) validateArtifactLocation(artifactLocation);
    return this.deps.store.write((tx) =>
      tx.insertExperiment({
        name: input.name,
        artifactLocation,
        defaultArtifactRoot: this.deps.defaultArtifactRoot,
        creationTime: this.deps.clock.now(),
        tags: input.tags,
      }),
    );
  }

  async get(experimentId: string): Promise<Experiment> {
    parseExperimentId(experimentId);
    const experiment = await this.deps.store.getExperiment(experimentId);
    if (!experiment) throw notFound(experimentId);
    return experiment;
  }

  async getByName(name: string): Promise<Experiment> {
    const experiment = await this.deps.store.getExperimentByName(name);
    if (!experiment) throw MlflowError.notFound(`Could not find experiment with name '${name}'`);
    return experiment;
  }

  async search(input: ExperimentSearch): Promise<Page<Experiment>> {
    const maxResults = validateMaxResults(input.maxResults, 1000);
    const filter = parseExperimentFilter(input.filter);
    const orderBy = parseExperimentOrderBy(input.orderBy);
    return searchPage(input.pageToken, (position) =>
      this.deps.store.searchExperiments({
        filter,
        orderBy,
        viewType: input.viewType ?? 'ACTIVE_ONLY',
        maxResults,
        offset: position.offset,
        watermark: position.watermark,
      }),
    );
  }

  async rename(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    await this.deps.store.write(async (tx) => {
      const experiment = await requireExperiment(tx, experimentId);
      if (experiment.lifecycleStage !== 'active') {
        throw MlflowError.invalidParameter('Cannot rename a non-active experiment.');
      }
      await tx.renameExperiment(experimentId, newName, this.deps.clock.now());
    });
  }

  async delete(experimentId: string): Promise<void> {
    await this.deps.store.write(async (tx) => {
      // As MLflow: only an active experiment can be deleted; a deleted one is "not found" here.
      const experiment = await requireExperiment(tx, experimentId);
      if (experiment.lifecycleStage !== 'active') throw notFound(experimentId);
      await tx.setExperimentLifecycle(experimentId, 'deleted', this.deps.clock.now());
    });
  }

  async restore(experimentId: string): Promise<void> {
    await this.deps.store.write(async (tx) => {
      const experiment = await requireExperiment(tx, experimentId);
      if (experiment.lifecycleStage !== 'deleted') throw notFound(experimentId);
      await tx.setExperimentLifecycle(experimentId, 'active', this.deps.clock.now());
    });
  }

  async setTag(experimentId: string, tag: Tag): Promise<void> {
    validateExperimentTag(tag);
    await this.deps.store.write(async (tx) => {
      requireActive(await requireExperiment(tx, experimentId));
      await tx.setExperimentTag(experimentId, tag);
    });
  }

  async deleteTag(experimentId: string, key: string): Promise<void> {
    await this.deps.store.write(async (tx) => {
      requireActive(await requireExperiment(tx, experimentId));
      if (!(await tx.deleteExperimentTag(experimentId, key))) {
        throw MlflowError.notFound(`No tag with name: ${key} in experiment with id ${experimentId}`);
      }
    });
  }
}

function notFound(experimentId: string): MlflowError {
  return MlflowError.notFound(`No Experiment with id=${experimentId} exists`);
}

export async function requireExperiment(tx: TrackingWrites, experimentId: string): Promise<Experiment> {
  parseExperimentId(experimentId);
  const experiment = await tx.getExperiment(experimentId);
  if (!experiment) throw notFound(experimentId);
  return experiment;
}

export function requireActive(experiment: Pick<Experiment, 'experimentId' | 'lifecycleStage'>): void {
  if (experiment.lifecycleStage !== 'active') {
    throw MlflowError.invalidParameter(
      `The experiment ${experiment.experimentId} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`,
    );
  }
}

/** MLflow's rules: no `runs:` URI, no query or fragment (they would change how clients resolve it). */
function validateArtifactLocation(location: string): void {
  if (location.startsWith('runs:')) {
    throw MlflowError.invalidParameter(`Artifact location cannot be a runs:/ URI. Given: '${location}'`);
  }
  if (/[?#]/.test(location)) {
    throw MlflowError.invalidParameter(
      `Invalid artifact location '${location}': query strings and fragments are not allowed.`,
    );
  }
  if (location.length > ARTIFACT_LOCATION_MAX) {
    throw MlflowError.invalidParameter(`Artifact location is longer than ${ARTIFACT_LOCATION_MAX} characters.`);
  }
}
