import type { DiagnosticsStore } from '../store/diagnostics-store.ts';
import type { NodeRegistryStore, ServerNode } from '../store/node-registry-store.ts';
import { type AllowedClients, clientFindings } from './client-versions.ts';
import { type ConfigBaseline, describeDifference, makeConfigBaseline, settingDifferences } from './config-baseline.ts';
import { DEFAULT_LIST_CAP, duration, type Finding, guarded, instant, plural, where } from './finding.ts';
import { referenceNode } from './node-registry.service.ts';

/** This doctor invocation's own effective configuration, as config-fingerprint.ts summarises it. */
export interface EffectiveConfig {
  readonly summary: Readonly<Record<string, unknown>>;
  readonly fingerprint: string;
  readonly version: string;
}

export interface ConfigDoctorDeps {
  readonly nodes: NodeRegistryStore;
  readonly diagnostics: Pick<DiagnosticsStore, 'identify'>;
  /** A node is live while its heartbeat is younger than this (three heartbeat intervals). */
  readonly liveWithinMs: number;
  readonly self: EffectiveConfig;
}

export interface ConfigCheckOptions {
  /** Compare this invocation's configuration with a baseline kept in CI. */
  readonly baseline?: { readonly file: string; readonly content: ConfigBaseline } | undefined;
  readonly listCap?: number;
  /** Client versions (from User-Agent) reported if seen within this window; default 7 days. */
  readonly clientsWithinMs?: number;
  /** Versions outside these ranges are errors; clients not named are only listed. */
  readonly allowedClients?: AllowedClients | undefined;
}

export const DEFAULT_CLIENTS_WITHIN_MS = 7 * 86_400_000;

const nodeLabel = (node: ServerNode) => `${node.nodeId} (${node.host}:${node.port})`;

/**
 * `plumb doctor config`: the live nodes of the node registry with their versions and config
 * fingerprints, the settings in which any node differs from the reference configuration (field
 * by field; the summaries hold no secrets), whether this invocation's own configuration matches
 * the servers', the client releases seen recently (from User-Agent) against an optional allowed
 * range, and — with a baseline file — whether it drifted from what CI expects.
 */
export class ConfigDoctorService {
  constructor(private readonly deps: ConfigDoctorDeps) {}

  async run(options: ConfigCheckOptions = {}): Promise<Finding[]> {
    const cap = options.listCap ?? DEFAULT_LIST_CAP;
    const findings: Finding[] = [];
    if (options.baseline) findings.push(...this.baselineFindings(options.baseline, cap));
    findings.push(
      ...(await guarded(
        'config',
        'read the node registry',
        'Check that the database is reachable (`plumb doctor db`) and at this release’s schema (`plumb db upgrade`).',
        () => this.nodeFindings(cap, options),
      )),
    );
    return findings;
  }

  private async nodeFindings(cap: number, options: ConfigCheckOptions): Promise<Finding[]> {
    const identity = await this.deps.diagnostics.identify();
    if (identity.kind !== 'plumb') {
      return [
        {
          id: 'config.no-node-registry',
          severity: 'info',
          summary: `This is ${identity.kind === 'mlflow' ? 'an MLflow database' : identity.kind === 'empty' ? 'an empty database' : 'not a Plumb database'}: it has no node registry to compare servers with.`,
          repair: 'None: node drift is checked on a Plumb database that servers register in.',
          fixable: false,
        },
      ];
    }
    const withinMs = options.clientsWithinMs ?? DEFAULT_CLIENTS_WITHIN_MS;
    const clients = clientFindings(await this.deps.nodes.listClients(withinMs), {
      withinMs,
      allowed: options.allowedClients,
      cap,
    });
    return [...(await this.liveNodeFindings(cap)), ...clients];
  }

  private async liveNodeFindings(cap: number): Promise<Finding[]> {
    const nodes = await this.deps.nodes.listLive(this.deps.liveWithinMs);
    if (nodes.length === 0) {
      return [
        {
          id: 'config.no-live-nodes',
          severity: 'info',
          summary: `No server has heart-beaten in the last ${duration(this.deps.liveWithinMs)}.`,
          repair: 'None if no server should be running; otherwise start them (`plumb server`) and check their logs.',
          fixable: false,
        },
      ];
    }
    const reference = referenceNode(nodes)!;
    const findings: Finding[] = [
      {
        id: 'config.nodes',
        severity: 'info',
        summary: `${plural(nodes.length, 'live node')}; reference configuration ${reference.configFingerprint.slice(0, 12)} (node ${reference.nodeId}).`,
        where: where(
          'node registry (server_nodes)',
          nodes.map(
            (n) =>
              `${nodeLabel(n)} version ${n.version}, schema ${n.schemaVersion}, config ${n.configFingerprint.slice(0, 12)}, up since ${instant(n.startedAt)}`,
          ),
          nodes.length,
          cap,
        ),
        repair: 'None needed.',
        fixable: false,
      },
    ];
    const drifting = nodes.filter((n) => n.configFingerprint !== reference.configFingerprint);
    if (drifting.length > 0) {
      const items = drifting.map(
        (n) =>
          `${nodeLabel(n)}: ${settingDifferences(reference.configSummary, n.configSummary).map(describeDifference).join('; ') || 'fingerprint only'}`,
      );
      const settings = [
        ...new Set(
          drifting.flatMap((n) => settingDifferences(reference.configSummary, n.configSummary).map((d) => d.setting)),
        ),
      ];
      findings.push({
        id: 'config.drift',
        severity: 'error',
        summary: `${plural(drifting.length, 'live node')} ${drifting.length === 1 ? 'runs' : 'run'} with a configuration that differs from the reference (node ${reference.nodeId}) in ${settings.join(', ')}.`,
        where: where('node: setting: reference → node', items, drifting.length, cap),
        repair: `Give ${drifting.length === 1 ? 'that node' : 'those nodes'} the reference settings (${settings.join(', ')}) and restart ${drifting.length === 1 ? 'it' : 'them'}; start servers with --strict-config so a disagreeing node refuses to start.`,
        fixable: false,
      });
    }
    const versions = new Set(nodes.map((n) => `${n.version}/${n.schemaVersion}`));
    if (versions.size > 1) {
      findings.push({
        id: 'config.version-skew',
        severity: 'warning',
        summary:
          'Live nodes run different releases or started on different schema versions (normal during a rolling upgrade, not after one).',
        where: where(
          'node: version / schema',
          nodes.map((n) => `${nodeLabel(n)}: ${n.version} / ${n.schemaVersion}`),
          nodes.length,
          cap,
        ),
        repair: 'Finish the rolling upgrade: restart the remaining nodes on the new release.',
        fixable: false,
      });
    }
    const mine = settingDifferences(reference.configSummary, this.deps.self.summary);
    if (mine.length > 0) {
      findings.push({
        id: 'config.cli-differs',
        severity: 'warning',
        summary: `This doctor run's configuration differs from the live servers' in ${mine.map((d) => d.setting).join(', ')}: other checks look at what this run is configured with.`,
        where: where('setting: servers → this run', mine.map(describeDifference), mine.length, cap),
        repair:
          "Run doctor with the servers' environment or flags (e.g. --artifacts-destination) to check what they use.",
        fixable: false,
      });
    }
    return findings;
  }

  /** A baseline of this invocation's effective configuration, for `--write-baseline`. */
  baseline(now: Date): ConfigBaseline {
    return makeConfigBaseline(
      this.deps.self.summary,
      this.deps.self.fingerprint,
      `plumb ${this.deps.self.version}`,
      now,
    );
  }

  private baselineFindings(baseline: NonNullable<ConfigCheckOptions['baseline']>, cap: number): Finding[] {
    const differences = settingDifferences(baseline.content.summary, this.deps.self.summary);
    if (differences.length === 0) {
      return [
        {
          id: 'config.baseline',
          severity: 'info',
          summary: `The effective configuration matches the baseline ${baseline.file} (${this.deps.self.fingerprint.slice(0, 12)}).`,
          repair: 'None needed.',
          fixable: false,
        },
      ];
    }
    return [
      {
        id: 'config.baseline-drift',
        severity: 'error',
        summary: `The effective configuration differs from the baseline ${baseline.file} in ${differences.map((d) => d.setting).join(', ')}.`,
        where: where('setting: baseline → effective', differences.map(describeDifference), differences.length, cap),
        repair: `If the change is intended, renew the baseline: \`plumb doctor config --write-baseline ${baseline.file}\` (and commit it); otherwise restore the settings named.`,
        fixable: false,
      },
    ];
  }
}
