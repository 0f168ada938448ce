import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { ArtifactRepository, FileInfo } from '../artifacts/artifact-repository.ts';
import { type ArtifactPath, ARTIFACT_ROOT, baseName, joinArtifactPath } from '../core/artifact-path.ts';
import type { Metric } from '../core/entities.ts';
import { MlflowError } from '../core/errors.ts';
import {
  HISTORY_FILE,
  HistoryLine,
  parseRunSnapshot,
  restoredValue,
  type RunSnapshot,
  SNAPSHOT_DIR,
  SNAPSHOT_FILE,
} from '../tracking/run-snapshot.format.ts';

/** Where run snapshots can be: `<exp>/<run>/plumb-snapshot` by default, deeper under custom locations. */
const DEFAULT_MAX_DEPTH = 6;
const RUN_ID = /^[0-9a-f]{32}$/;
/** The snapshot of a run whose artifact root does not end in `artifacts` sits inside the root. */
const INNER_DIR = '.plumb';

async function listAll(repo: ArtifactRepository, dir: ArtifactPath): Promise<FileInfo[]> {
  const files: FileInfo[] = [];
  let pageToken: string | undefined;
  do {
    const page = await repo.list(dir, pageToken === undefined ? {} : { pageToken });
    files.push(...page.files);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return files;
}

/**
 * The snapshot directories in the artifact store (run-snapshot.format.ts). A directory that holds
 * a snapshot is a run's directory: nothing below it is searched, so run artifacts are never walked;
 * neither is the `artifacts` directory of a run that has no snapshot.
 */
export async function* findSnapshotDirs(
  repo: ArtifactRepository,
  options: { maxDepth?: number } = {},
): AsyncGenerator<ArtifactPath> {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  async function* walk(dir: ArtifactPath, depth: number): AsyncGenerator<ArtifactPath> {
    const dirs = (await listAll(repo, dir)).filter((f) => f.isDir);
    const names = new Set(dirs.map((d) => baseName(d.path)));
    if (names.has(SNAPSHOT_DIR)) {
      yield joinArtifactPath(dir, SNAPSHOT_DIR);
      return;
    }
    if (names.has(INNER_DIR)) {
      const inner = joinArtifactPath(dir, INNER_DIR, SNAPSHOT_DIR);
      if (await repo.stat(joinArtifactPath(inner, SNAPSHOT_FILE))) {
        yield inner;
        return;
      }
    }
    if (depth >= maxDepth) return;
    const runDir = dir !== ARTIFACT_ROOT && RUN_ID.test(baseName(dir));
    for (const child of dirs) {
      if (runDir && baseName(child.path) === 'artifacts') continue;
      yield* walk(child.path, depth + 1);
    }
  }
  yield* walk(ARTIFACT_ROOT, 0);
}

async function readAll(repo: ArtifactRepository, path: ArtifactPath): Promise<Buffer> {
  const { body } = await repo.get(path);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The snapshot document in `dir`; DATA_LOSS when it is missing, unreadable or not a known version. */
export async function readSnapshot(repo: ArtifactRepository, dir: ArtifactPath): Promise<RunSnapshot> {
  let text: string;
  try {
    text = (await readAll(repo, joinArtifactPath(dir, SNAPSHOT_FILE))).toString('utf8');
  } catch (error) {
    if (error instanceof MlflowError && error.code === 'RESOURCE_DOES_NOT_EXIST') {
      throw new MlflowError('DATA_LOSS', `Incomplete snapshot: ${SNAPSHOT_FILE} is missing`);
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MlflowError('DATA_LOSS', `${SNAPSHOT_FILE} is not valid JSON`);
  }
  return parseRunSnapshot(json);
}

/**
 * The run's full metric history from the snapshot, after checking the file against the sha256
 * and point count the document recorded; DATA_LOSS when they differ.
 */
export async function readHistory(
  repo: ArtifactRepository,
  dir: ArtifactPath,
  snapshot: RunSnapshot,
): Promise<Metric[]> {
  if (snapshot.metricHistory.points === 0) return [];
  const { body } = await repo.get(joinArtifactPath(dir, HISTORY_FILE));
  const hash = createHash('sha256');
  body.on('data', (chunk: Buffer) => hash.update(chunk));
  const gunzip = createGunzip();
  body.on('error', (error) => gunzip.destroy(error));
  const points: Metric[] = [];
  try {
    for await (const line of createInterface({ input: body.pipe(gunzip), crlfDelay: Infinity })) {
      if (line === '') continue;
      const [key, step, timestamp, value] = HistoryLine.parse(JSON.parse(line));
      points.push({ key, step, timestamp, value: restoredValue(value) });
    }
  } catch (error) {
    throw new MlflowError('DATA_LOSS', `${HISTORY_FILE} is damaged: ${(error as Error).message}`);
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== snapshot.metricHistory.sha256 || points.length !== snapshot.metricHistory.points) {
    throw new MlflowError(
      'DATA_LOSS',
      `${HISTORY_FILE} does not match its record (${points.length} points, sha256 ${sha256.slice(0, 12)}…; recorded ${snapshot.metricHistory.points} points, ${snapshot.metricHistory.sha256.slice(0, 12)}…)`,
    );
  }
  return points;
}
