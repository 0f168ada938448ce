import type { StoreEngine } from '../store/maintenance-store.ts';
import type { PlannedMigration } from '../store/store.ts';
import type { DumpedMigration } from './dump-format.ts';

/** Where a backup or dump came from: its engine, the release that made it and its applied migrations. */
export interface DumpOrigin {
  readonly engine: StoreEngine;
  readonly plumbVersion: string;
  readonly migrations: readonly DumpedMigration[];
}

/**
 * Why this release cannot restore or import data made on the `origin` schema, with what to run
 * instead; undefined when it can. It can when every migration the data was made under is one it
 * knows, by name and — on the same engine, where checksums are comparable — by checksum. Older
 * data (fewer migrations) is fine: a logical load goes into this release's schema, and a native
 * restore is followed by `plumb db upgrade`.
 */
export function schemaProblem(
  origin: DumpOrigin,
  target: { readonly engine: StoreEngine; readonly known: readonly PlannedMigration[] },
): string | undefined {
  const known = new Map(target.known.map((m) => [m.version, m]));
  const unknown = origin.migrations.filter((m) => !known.has(m.version));
  if (unknown.length > 0) {
    const list = unknown.map((m) => `${m.version} (${m.name})`).join(', ');
    return `it was made by Plumb ${origin.plumbVersion} on a schema with migrations this release does not know: ${list}. Restore it with Plumb ${origin.plumbVersion} or newer (upgrade this installation first).`;
  }
  for (const m of origin.migrations) {
    const ours = known.get(m.version)!;
    const checksumDiffers = origin.engine === target.engine && ours.checksum !== m.checksum;
    if (ours.name !== m.name || checksumDiffers) {
      return `its migration ${m.version} (${m.name}, checksum ${m.checksum.slice(0, 12)}…) differs from this release's (${ours.name}, ${ours.checksum.slice(0, 12)}…): it comes from a different build. Restore it with the release that made it (Plumb ${origin.plumbVersion}).`;
    }
  }
  return undefined;
}
