import type { ArtifactRepository } from '../artifacts/artifact-repository.ts';
import type { ArtifactPath } from '../core/artifact-path.ts';
import type { Clock } from '../core/clock.ts';
import type { ManifestEntry } from '../store/artifact-manifest-store.ts';
import type { DiagnosticsStore } from '../store/diagnostics-store.ts';
import type { ArtifactTiersDoctor } from './artifact-tiers-doctor.service.ts';
import { digestObject, forEachLimited, Reservoir, Tally, walkStore } from './artifact-walk.ts';
import {
  DEFAULT_LIST_CAP,
  duration,
  type Finding,
  guarded,
  instant,
  plural,
  type RepairOutcome,
  where,
} from './finding.ts';

export interface ArtifactsDoctorDeps {
  readonly repository: ArtifactRepository;
  readonly diagnostics: Pick<DiagnosticsStore, 'identify' | 'plumb'>;
  /** Whether a run's artifact URI lies inside the configured store (so the server can serve it). */
  readonly isInsideDestination: (artifactUri: string) => boolean;
  /** Paths the server writes without a manifest entry on purpose (run snapshots); not walked. */
  readonly unrecordedByDesign: (path: ArtifactPath) => boolean;
  readonly clock: Clock;
  /** With a hot tier: checks each entry's copy in the tier it names (artifact-tiers-doctor.service.ts). */
  readonly tiers?: Pick<ArtifactTiersDoctor, 'check'> | undefined;
}

export interface ArtifactsCheckOptions {
  /** Hash every recorded object, not a sample. */
  readonly full?: boolean;
  /** How many recorded objects to hash without `full` (default 100). */
  readonly sample?: number;
  /** An upload open for longer than this is abandoned (default 24 h). */
  readonly staleAfterMs?: number;
  readonly listCap?: number;
  /** Called now and then during long walks with a one-line status. */
  readonly progress?: (status: string) => void;
  readonly random?: () => number;
}

export const DEFAULT_HASH_SAMPLE = 100;
export const DEFAULT_STALE_AFTER_MS = 24 * 3_600_000;
const MANIFEST_PAGE = 500;
const CONCURRENCY = 8;

interface Tallies {
  readonly missing: Tally;
  readonly size: Tally;
  readonly sha: Tally;
  readonly unrecorded: Tally;
  readonly unreadable: Tally;
}

/**
 * `plumb doctor artifacts`: walks the store and the manifest against each other. Reports
 * recorded objects that are missing or whose size (always) or sha256 (a sample, or all with
 * `full`) differs from the record, objects nothing recorded, abandoned uploads, and runs whose
 * artifact URI lies outside the store. Repairs only abandoned uploads: an object that has a
 * manifest entry is never deleted or overwritten.
 */
export class ArtifactsDoctorService {
  constructor(private readonly deps: ArtifactsDoctorDeps) {}

  async run(options: ArtifactsCheckOptions = {}): Promise<Finding[]> {
    const cap = options.listCap ?? DEFAULT_LIST_CAP;
    const store = this.deps.repository.description;
    const findings: Finding[] = [];
    const identity = await this.deps.diagnostics.identify().catch(() => undefined);
    if (identity?.kind === 'plumb') {
      findings.push(
        ...(await guarded(
          'artifacts',
          `compare ${store} with the manifest`,
          'Check the store is reachable with the configured credentials, then re-run.',
          () => this.compare(options, cap),
        )),
        ...(await guarded('artifacts', "check runs' artifact locations", 'Re-run `plumb doctor artifacts`.', () =>
          this.locations(cap),
        )),
      );
      const tiers = this.deps.tiers;
      if (tiers) {
        findings.push(
          ...(await guarded(
            'artifacts',
            'check each manifest entry in the tier it names',
            'Check both tiers are reachable, then re-run.',
            () => tiers.check({ full: options.full, sample: options.sample, listCap: cap }),
          )),
        );
      }
    } else {
      findings.push({
        id: 'artifacts.no-manifest',
        severity: 'info',
        summary: `The metadata database is ${identity ? `${identity.kind === 'mlflow' ? 'an MLflow database' : identity.kind === 'empty' ? 'empty' : 'not a Plumb database'}` : 'unreachable'}: there is no artifact manifest to compare ${store} with.`,
        repair: 'Point --backend-store-uri at the Plumb database that records this store.',
        fixable: false,
      });
    }
    findings.push(
      ...(await guarded(
        'artifacts',
        `list open uploads in ${store}`,
        'Check the store is reachable, then re-run.',
        () => this.pendingUploads(options, cap),
      )),
    );
    return findings;
  }

  private async compare(options: ArtifactsCheckOptions, cap: number): Promise<Finding[]> {
    const { repository, diagnostics } = this.deps;
    const manifest = diagnostics.plumb;
    const t: Tallies = {
      missing: new Tally(cap),
      size: new Tally(cap),
      sha: new Tally(cap),
      unrecorded: new Tally(cap),
      unreadable: new Tally(cap),
    };
    const seen = new Set<string>();
    const sizeSuspects = new Set<string>();
    let objects = 0;
    const report = (phase: string) => options.progress?.(phase);

    // 1. The store: every object either has a record or is unrecorded; sizes come with the listing.
    await walkStore(repository, this.deps.unrecordedByDesign, async (files) => {
      const entries = await manifest.manifestEntries(files.map((f) => f.path));
      for (const file of files) {
        const entry = entries.get(file.path);
        if (!entry) t.unrecorded.add(`${file.path} (${plural(file.size ?? 0, 'byte')})`);
        else {
          seen.add(file.path);
          if (file.size !== undefined && file.size !== entry.size) sizeSuspects.add(file.path);
        }
      }
      objects += files.length;
      report(`walking ${repository.description}: ${objects} objects`);
    });

    // 2. The manifest: what the walk did not see is confirmed missing with a stat; sizes that
    // differed in the listing are confirmed the same way (an upload may have landed meanwhile).
    const total = await manifest.manifestSize();
    const toHash = options.full
      ? undefined
      : new Reservoir<ManifestEntry>(options.sample ?? DEFAULT_HASH_SAMPLE, options.random);
    const hashNow: ManifestEntry[] = [];
    let checked = 0;
    let hashed = 0;
    let cursor: string | undefined;
    do {
      const page = await manifest.manifestPage(cursor, MANIFEST_PAGE);
      const intact: ManifestEntry[] = [];
      await forEachLimited(page.entries, CONCURRENCY, async (entry) => {
        if (seen.has(entry.path) && !sizeSuspects.has(entry.path)) intact.push(entry);
        else if (await this.confirmSize(entry, t)) intact.push(entry);
      });
      for (const entry of intact) {
        if (toHash) toHash.offer(entry);
        else hashNow.push(entry);
      }
      hashed += await this.hash(hashNow.splice(0), t);
      checked += page.entries.length;
      report(`checking the manifest: ${checked}/${total} entries, ${hashed} hashed`);
      cursor = page.next;
    } while (cursor !== undefined);
    if (toHash) {
      hashed += await this.hash([...toHash.sample], t);
      report(`hashed ${hashed} sampled objects`);
    }
    return this.compareFindings(t, { objects, checked, hashed, full: options.full ?? false, cap });
  }

  /** Stats a recorded object; tallies it missing or of the wrong size. True when it is as recorded. */
  private async confirmSize(entry: ManifestEntry, t: Tallies): Promise<boolean> {
    try {
      const info = await this.deps.repository.stat(entry.path);
      if (!info) t.missing.add(`${entry.path} (${plural(entry.size, 'byte')}, recorded ${instant(entry.recordedAt)})`);
      else if (info.size !== entry.size) t.size.add(`${entry.path}: ${info.size} bytes stored, ${entry.size} recorded`);
      else return true;
    } catch (error) {
      t.unreadable.add(`${entry.path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return false;
  }

  /** Reads each object and compares its bytes with the record; returns how many it read. */
  private async hash(entries: readonly ManifestEntry[], t: Tallies): Promise<number> {
    let read = 0;
    await forEachLimited(entries, CONCURRENCY, async (entry) => {
      try {
        const actual = await digestObject(this.deps.repository, entry.path);
        read++;
        if (actual.size !== entry.size)
          t.size.add(`${entry.path}: ${actual.size} bytes stored, ${entry.size} recorded`);
        else if (actual.sha256 !== entry.sha256) {
          t.sha.add(
            `${entry.path}: sha256 ${actual.sha256.slice(0, 16)}… stored, ${entry.sha256.slice(0, 16)}… recorded`,
          );
        }
      } catch (error) {
        t.unreadable.add(`${entry.path}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return read;
  }

  private compareFindings(
    t: Tallies,
    run: { objects: number; checked: number; hashed: number; full: boolean; cap: number },
  ): Finding[] {
    const store = this.deps.repository.description;
    const keys = `${store}, object keys`;
    const restore = `Restore the recorded version from a backup of ${store} (the manifest's sha256 tells the right one); doctor never deletes or overwrites an object that has a manifest entry.`;
    const findings: Finding[] = [
      {
        id: 'artifacts.summary',
        severity: 'info',
        summary: `Walked ${plural(run.objects, 'object')} in ${store} and ${plural(run.checked, 'manifest entry', 'manifest entries')}; hashed ${run.hashed}${run.full ? ' (all)' : ' (a sample; --full hashes all)'}.`,
        repair: 'None needed.',
        fixable: false,
      },
    ];
    const add = (tally: Tally, finding: Omit<Finding, 'where' | 'fixable'>) => {
      if (tally.count > 0)
        findings.push({ ...finding, where: where(keys, tally.items, tally.count, run.cap), fixable: false });
    };
    add(t.missing, {
      id: 'artifacts.missing-objects',
      severity: 'error',
      summary: `${plural(t.missing.count, 'recorded object')} ${t.missing.count === 1 ? 'is' : 'are'} missing from the store: downloads answer 404.`,
      repair: restore,
    });
    add(t.size, {
      id: 'artifacts.size-mismatch',
      severity: 'error',
      summary: `${plural(t.size.count, 'object')} ${t.size.count === 1 ? 'has' : 'have'} a different size than recorded (truncated or replaced outside Plumb).`,
      repair: restore,
    });
    add(t.sha, {
      id: 'artifacts.sha256-mismatch',
      severity: 'error',
      summary: `${plural(t.sha.count, 'object')} ${t.sha.count === 1 ? 'has' : 'have'} the recorded size but different bytes (sha256): silent corruption or a replacement outside Plumb.`,
      repair: restore,
    });
    add(t.unreadable, {
      id: 'artifacts.unreadable-objects',
      severity: 'error',
      summary: `${plural(t.unreadable.count, 'recorded object')} could not be read.`,
      repair: `Check permissions and the store's health for these keys in ${store}, then re-run.`,
    });
    add(t.unrecorded, {
      id: 'artifacts.unrecorded-objects',
      severity: 'warning',
      summary: `${plural(t.unrecorded.count, 'object')} in the store ${t.unrecorded.count === 1 ? 'has' : 'have'} no manifest entry: written around Plumb (another tool, an MLflow server) or left by an upload whose record was lost.`,
      repair: `Nothing serves them wrongly, but nothing verifies them either. Check whether they are needed; remove leftovers from ${store} with the storage's own tools (doctor does not delete objects).`,
    });
    return findings;
  }

  private async locations(cap: number): Promise<Finding[]> {
    const outside = new Tally(cap);
    let after = 0;
    for (;;) {
      const page = await this.deps.diagnostics.plumb.runArtifactLocations(after, 1000);
      for (const run of page)
        if (!this.deps.isInsideDestination(run.artifactUri)) outside.add(`${run.runId}: ${run.artifactUri}`);
      if (page.length < 1000) break;
      after = page.at(-1)!.rowId;
    }
    if (outside.count === 0) return [];
    return [
      {
        id: 'artifacts.runs-outside-destination',
        severity: 'warning',
        summary: `${plural(outside.count, 'run')}' artifact URI${outside.count === 1 ? ' points' : 's point'} outside the configured store ${this.deps.repository.description}: the server cannot serve or verify ${outside.count === 1 ? 'it' : 'them'} (clients read such locations directly).`,
        where: where('table runs, run id: artifact URI', outside.items, outside.count, cap),
        repair:
          'If the store was moved, run the servers with the old --artifacts-destination until the objects are copied; otherwise nothing is broken for clients that can reach those locations.',
        fixable: false,
      },
    ];
  }

  private async pendingUploads(options: ArtifactsCheckOptions, cap: number): Promise<Finding[]> {
    const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    const stale = new Tally(cap);
    for await (const upload of this.deps.repository.listPendingUploads()) {
      if (upload.ageMs < staleAfterMs) continue;
      const what =
        upload.path === undefined ? `temporary data ${upload.uploadId}` : `upload ${upload.uploadId} of ${upload.path}`;
      stale.add(`${what}, started ${instant(upload.startedAt)}`);
    }
    if (stale.count === 0) return [];
    return [
      {
        id: 'artifacts.stale-uploads',
        severity: 'warning',
        summary: `${plural(stale.count, 'upload')} open for over ${duration(staleAfterMs)} (clients that went away): invisible, but ${stale.count === 1 ? 'it holds' : 'they hold'} storage.`,
        where: where(`${this.deps.repository.description}, uploads`, stale.items, stale.count, cap),
        repair: `\`plumb doctor artifacts --fix --stale-after ${duration(staleAfterMs).replace(' ', '')}\` aborts them (servers also do at start-up, for uploads older than a day).`,
        fixable: true,
      },
    ];
  }

  /** Repairs `artifacts.stale-uploads` when asked: aborts uploads older than the threshold. */
  async repair(
    ids: readonly string[],
    options: Pick<ArtifactsCheckOptions, 'staleAfterMs'> = {},
  ): Promise<RepairOutcome[]> {
    if (!ids.includes('artifacts.stale-uploads')) return [];
    try {
      const removed = await this.deps.repository.cleanupAbandonedUploads(
        options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS,
      );
      return [
        { findingId: 'artifacts.stale-uploads', repaired: true, done: `aborted ${plural(removed, 'stale upload')}` },
      ];
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return [{ findingId: 'artifacts.stale-uploads', repaired: false, done: `failed: ${message}` }];
    }
  }
}
