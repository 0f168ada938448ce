import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { ArtifactRepository } from '../artifacts/artifact-repository.ts';
import { type ArtifactPath, parseArtifactPath } from '../core/artifact-path.ts';
import type { Clock } from '../core/clock.ts';
import { MlflowError } from '../core/errors.ts';
import type { TrackingStore } from '../store/store.ts';
import { runArtifactPathOf } from './artifact-locations.ts';
import { digestOf } from './digesting-stream.ts';
import {
  HISTORY_FILE,
  SNAPSHOT_DIR,
  SNAPSHOT_FILE,
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSION,
  type RunSnapshot,
  snapshotValue,
} from './run-snapshot.format.ts';

const HISTORY_PAGE = 10_000;

export interface SnapshotLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface RunSnapshotDeps {
  readonly tracking: TrackingStore;
  readonly repository: ArtifactRepository;
  readonly destinationUri: string;
  readonly clock: Clock;
  readonly logger: SnapshotLogger;
}

/** Where a run's snapshot goes: beside its `artifacts` directory, so it never shows among the run's artifacts. */
export function snapshotDirOf(runRoot: ArtifactPath): ArtifactPath {
  const parent = runRoot.endsWith('/artifacts') ? runRoot.slice(0, -'/artifacts'.length) : `${runRoot}/.plumb`;
  return parseArtifactPath(`${parent}/${SNAPSHOT_DIR}`);
}

/**
 * Writes run snapshots (run-snapshot.format.ts) when runs end and on demand. Writing happens after
 * the run's transaction committed and off the request path; `flush` waits for what is queued.
 */
export class RunSnapshotService {
  private pending = new Map<string, Promise<void>>();

  constructor(private readonly deps: RunSnapshotDeps) {}

  /** Queues a snapshot of the run; failures are logged, never thrown at the caller. */
  schedule(runId: string): void {
    const previous = this.pending.get(runId) ?? Promise.resolve();
    const next = previous
      .then(() => this.write(runId))
      .then(
        () => undefined,
        (error: unknown) => this.deps.logger.warn({ err: error, runId }, 'could not write the run snapshot'),
      )
      .finally(() => {
        if (this.pending.get(runId) === next) this.pending.delete(runId);
      });
    this.pending.set(runId, next);
  }

  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending.values());
  }

  /** Writes the snapshot now; returns its directory, or undefined when this server does not store the run's artifacts. */
  async write(runId: string): Promise<ArtifactPath | undefined> {
    const run = await this.deps.tracking.getRun(runId);
    if (!run) throw MlflowError.notFound(`Run with id=${runId} not found`);
    const experiment = await this.deps.tracking.getExperiment(run.info.experimentId);
    if (!experiment) throw MlflowError.notFound(`No Experiment with id=${run.info.experimentId} exists`);
    const root = runArtifactPathOf(run.info.artifactUri, this.deps.destinationUri);
    if (root === undefined) return undefined;
    const dir = snapshotDirOf(root);
    const keys = run.data.metrics.map((m) => m.key).sort();
    const history = await this.writeHistory(runId, keys, parseArtifactPath(`${dir}/${HISTORY_FILE}`));
    const snapshot: RunSnapshot = {
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      writtenAt: this.deps.clock.now(),
      experiment: {
        experimentId: experiment.experimentId,
        name: experiment.name,
        artifactLocation: experiment.artifactLocation,
      },
      run: { ...run.info },
      params: [...run.data.params],
      tags: [...run.data.tags],
      latestMetrics: run.data.metrics.map((m) => ({ ...m, value: snapshotValue(m.value) })),
      datasetInputs: run.inputs.datasetInputs.map((d) => ({
        tags: [...d.tags],
        dataset: {
          ...d.dataset,
          schema: d.dataset.schema ?? undefined,
          profile: d.dataset.profile ?? undefined,
        },
      })),
      modelInputs: [...run.inputs.modelInputs],
      metricHistory: { file: HISTORY_FILE, ...history },
    };
    // The document goes last: a snapshot whose run.json exists is complete.
    const body = Buffer.from(JSON.stringify(snapshot));
    await this.deps.repository.put(parseArtifactPath(`${dir}/${SNAPSHOT_FILE}`), Readable.from([body]), {
      contentLength: body.length,
    });
    return dir;
  }

  private async writeHistory(
    runId: string,
    keys: readonly string[],
    path: ArtifactPath,
  ): Promise<{ points: number; sha256: string }> {
    const { tracking } = this.deps;
    let points = 0;
    async function* lines(): AsyncGenerator<string> {
      for (const key of keys) {
        // Keyset pages: a 1M-point history costs one pass, where offsets would rescan every page.
        let text = '';
        let inChunk = 0;
        for await (const m of tracking.streamMetricHistory(runId, key, HISTORY_PAGE)) {
          text += `${JSON.stringify([key, m.step, m.timestamp, snapshotValue(m.value)])}\n`;
          points += 1;
          if (++inChunk === HISTORY_PAGE) {
            yield text;
            [text, inChunk] = ['', 0];
          }
        }
        if (text) yield text;
      }
    }
    const source = Readable.from(lines());
    const gzip = createGzip();
    source.on('error', (error) => gzip.destroy(error));
    const digesting = digestOf(source.pipe(gzip));
    await this.deps.repository.put(path, digesting);
    return { points, sha256: digesting.hash.digest('hex') };
  }
}
