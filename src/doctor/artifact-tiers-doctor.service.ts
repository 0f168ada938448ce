import type { ArtifactRepository } from '../artifacts/artifact-repository.ts';
import type { ArtifactPath } from '../core/artifact-path.ts';
import type { Clock } from '../core/clock.ts';
import type { ArtifactManifestStore, ManifestEntry } from '../store/artifact-manifest-store.ts';
import { digestObject, forEachLimited, Tally } from './artifact-walk.ts';
import { type Finding, plural, where } from './finding.ts';

export interface ArtifactTiersDoctorDeps {
  readonly hot: ArtifactRepository;
  readonly cold: ArtifactRepository;
  readonly manifest: Pick<ArtifactManifestStore, 'listUnder'>;
  /** Ids of the nodes with a recent heartbeat (the node registry). */
  readonly liveNodes: () => Promise<readonly string[]>;
  /** This node's name in the manifest; undefined when the hot tier is a shared mount. */
  readonly node?: string | undefined;
  /** A move claimed longer ago than this was left by a mover that died. */
  readonly leaseMs: number;
  readonly clock: Clock;
}

const CONCURRENCY = 8;
const MANIFEST_LIMIT = 10_000_000;

/** Node registry ids are `<host name, 27 characters>-<uuid>`; the manifest records the host part. */
const isLive = (hotNode: string, live: readonly string[]) =>
  live.some((id) => id === hotNode || id.startsWith(`${hotNode}-`));

/**
 * `plumb doctor artifacts` with a hot tier: every manifest entry must have a copy of the recorded
 * size (and, hashed, sha256) in the tier the entry names. Hot copies on another node's disk are
 * not readable here: they are counted, and those on a node that is gone are reported as at risk,
 * since that disk holds the only copy.
 */
export class ArtifactTiersDoctor {
  constructor(private readonly deps: ArtifactTiersDoctorDeps) {}

  async check(options: { full?: boolean; sample?: number; listCap: number }): Promise<Finding[]> {
    const { manifest, clock } = this.deps;
    const cap = options.listCap;
    const entries = await manifest.listUnder('' as ArtifactPath, MANIFEST_LIMIT);
    const live = await this.deps.liveNodes();
    const bad = new Tally(cap);
    const gone = new Map<string, { paths: string[]; bytes: number }>();
    const unfinished = new Tally(cap);
    let elsewhere = 0;
    let hashBudget = options.full ? Number.POSITIVE_INFINITY : (options.sample ?? 100);
    const totals = { hot: 0, cold: 0, hotBytes: 0, coldBytes: 0 };
    const checkable: { entry: ManifestEntry; repository: ArtifactRepository; hash: boolean }[] = [];
    for (const entry of entries) {
      const hot = entry.tier === 'hot';
      if (hot) {
        totals.hot += 1;
        totals.hotBytes += entry.size;
      } else {
        totals.cold += 1;
        totals.coldBytes += entry.size;
      }
      if (entry.moveStartedAt !== undefined && entry.moveStartedAt < clock.now() - this.deps.leaseMs) {
        unfinished.add(`${entry.path} (${entry.tier ?? 'cold'})`);
      }
      const elsewhereNode = hot && entry.hotNode !== undefined && entry.hotNode !== this.deps.node;
      if (elsewhereNode && entry.hotNode !== undefined) {
        if (isLive(entry.hotNode, live)) elsewhere += 1;
        else {
          const held = gone.get(entry.hotNode) ?? { paths: [], bytes: 0 };
          held.paths.push(entry.path);
          held.bytes += entry.size;
          gone.set(entry.hotNode, held);
        }
        continue;
      }
      const hash = hashBudget > 0;
      if (hash) hashBudget -= 1;
      checkable.push({ entry, repository: hot ? this.deps.hot : this.deps.cold, hash });
    }
    let hashed = 0;
    await forEachLimited(checkable, CONCURRENCY, async ({ entry, repository, hash }) => {
      const tier = entry.tier ?? 'cold';
      try {
        if (hash) {
          const actual = await digestObject(repository, entry.path);
          hashed += 1;
          if (actual.size !== entry.size || actual.sha256 !== entry.sha256) {
            bad.add(`${entry.path}: the ${tier} copy has ${actual.size} bytes, sha256 ${actual.sha256.slice(0, 16)}…`);
          }
        } else {
          const info = await repository.stat(entry.path);
          if (!info) bad.add(`${entry.path}: no copy in the ${tier} tier`);
          else if (info.size !== entry.size) bad.add(`${entry.path}: the ${tier} copy has ${info.size} bytes`);
        }
      } catch (error) {
        bad.add(`${entry.path}: ${tier} tier: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return this.findings({ bad, gone, unfinished, elsewhere, hashed, checked: checkable.length, totals, cap });
  }

  private findings(r: {
    bad: Tally;
    gone: Map<string, { paths: string[]; bytes: number }>;
    unfinished: Tally;
    elsewhere: number;
    hashed: number;
    checked: number;
    totals: { hot: number; cold: number; hotBytes: number; coldBytes: number };
    cap: number;
  }): Finding[] {
    const { totals, cap } = r;
    const findings: Finding[] = [
      {
        id: 'artifacts.tiers',
        severity: 'info',
        summary: `Tiers: ${plural(totals.hot, 'object')} (${totals.hotBytes} bytes) hot, ${plural(totals.cold, 'object')} (${totals.coldBytes} bytes) cold; ${r.checked} checked in the tier their entry names, ${r.hashed} of them hashed; ${r.elsewhere} hot on other live nodes.`,
        repair: 'Nothing to do.',
        fixable: false,
      },
    ];
    if (r.bad.count > 0) {
      findings.push({
        id: 'artifacts.tier-copy-missing',
        severity: 'error',
        summary: `${plural(r.bad.count, 'manifest entry', 'manifest entries')} ${r.bad.count === 1 ? 'has' : 'have'} no copy matching the record in the tier ${r.bad.count === 1 ? 'it names' : 'they name'}.`,
        where: where('manifest entries', r.bad.items, r.bad.count, cap),
        repair:
          'Look for the object in the other tier (a move interrupted by hand?) and restore it from backup; do not run the mover until then.',
        fixable: false,
      });
    }
    for (const [node, held] of r.gone) {
      findings.push({
        id: 'artifacts.tier-node-gone',
        severity: 'error',
        summary: `Node ${node} is not live and its hot tier holds the only copy of ${plural(held.paths.length, 'object')} (${held.bytes} bytes): at risk.`,
        where: where(`node ${node}, artifact paths`, held.paths, held.paths.length, cap),
        repair: `Bring ${node} (or its disk, mounted at the same hot path on a node with the same host name) back and run \`plumb artifacts tier\` there.`,
        fixable: false,
      });
    }
    if (r.unfinished.count > 0) {
      findings.push({
        id: 'artifacts.tier-moves-unfinished',
        severity: 'warning',
        summary: `${plural(r.unfinished.count, 'move')} to the cold tier ${r.unfinished.count === 1 ? 'was' : 'were'} left half-done by a mover that stopped; the manifest still names a verified copy.`,
        where: where('artifact paths', r.unfinished.items, r.unfinished.count, cap),
        repair: 'Run `plumb artifacts tier` (a server with a hot tier also does at its next pass).',
        fixable: false,
      });
    }
    return findings;
  }
}
