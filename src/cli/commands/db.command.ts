import type { Command } from 'commander';
import { openMetadataStore } from '../../app.ts';
import { compareReleases } from '../../core/releases.ts';
import type { MetadataStore, SchemaStatus } from '../../store/store.ts';
import { PLUMB_VERSION } from '../../version.ts';
import { loadConfigOrReport } from '../load-config.ts';

async function withStore(
  options: { backendStoreUri?: string | undefined; readOnly?: boolean },
  work: (store: MetadataStore) => Promise<void>,
): Promise<void> {
  const config = loadConfigOrReport({ backendStoreUri: options.backendStoreUri });
  if (!config) return;
  const store = openMetadataStore(config.store, { readOnly: options.readOnly });
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

function warnAboutNewerMigrations(status: SchemaStatus): void {
  const tooNew = status.unknown.filter((m) => compareReleases(m.minServerRelease, PLUMB_VERSION) > 0);
  for (const m of tooNew) {
    console.error(
      `warning: migration ${m.version} (${m.name}) comes from a newer release and needs ≥ ${m.minServerRelease}; this release (${PLUMB_VERSION}) cannot serve this database.`,
    );
  }
}

export function register(program: Command): void {
  const db = program.command('db').description('Inspect and migrate the metadata database schema');
  db.command('upgrade')
    .description('Apply pending migrations (one migrator at a time, under a database lock)')
    .option('--backend-store-uri <uri>', 'metadata store (default sqlite:///mlruns.db)')
    .option('--plan', 'print the SQL that would run, and change nothing')
    .action(async (options: { backendStoreUri?: string; plan?: boolean }) => {
      await withStore({ backendStoreUri: options.backendStoreUri, readOnly: options.plan }, async (store) => {
        const status = await store.schema.status();
        warnAboutNewerMigrations(status);
        if (status.checksumMismatches.length > 0) {
          for (const m of status.checksumMismatches) {
            console.error(
              `migration ${m.version}: recorded checksum ${m.recorded} differs from this release's ${m.expected}`,
            );
          }
          process.exitCode = 1;
          return;
        }
        if (options.plan) {
          if (status.pending.length === 0) console.log('-- nothing to apply: the schema is up to date');
          for (const migration of status.pending) {
            console.log(`-- migration ${migration.version} (${migration.name}), checksum ${migration.checksum}`);
            for (const statement of migration.statements) console.log(`${statement};`);
          }
          return;
        }
        const applied = await store.schema.upgrade();
        if (applied.length === 0) console.log('The schema is up to date; nothing applied.');
        for (const migration of applied) console.log(`applied migration ${migration.version} (${migration.name})`);
      });
    });
  db.command('status')
    .description('Show applied, pending and unknown migrations')
    .option('--backend-store-uri <uri>', 'metadata store (default sqlite:///mlruns.db)')
    .action(async (options: { backendStoreUri?: string }) => {
      await withStore({ backendStoreUri: options.backendStoreUri, readOnly: true }, async (store) => {
        const status = await store.schema.status();
        for (const m of status.applied) console.log(`applied  ${m.version} ${m.name} ${m.checksum.slice(0, 12)}`);
        for (const m of status.pending) console.log(`pending  ${m.version} ${m.name}`);
        for (const m of status.unknown)
          console.log(`unknown  ${m.version} ${m.name} (needs release ≥ ${m.minServerRelease})`);
        for (const m of status.checksumMismatches)
          console.log(`MISMATCH ${m.version}: recorded ${m.recorded}, expected ${m.expected}`);
      });
    });
  db.command('check')
    .description('Check the schema without changing it: migrations, checksums, missing tables and indexes')
    .option('--backend-store-uri <uri>', 'metadata store (default sqlite:///mlruns.db)')
    .action(async (options: { backendStoreUri?: string }) => {
      await withStore({ backendStoreUri: options.backendStoreUri, readOnly: true }, async (store) => {
        const check = await store.schema.check();
        const problems = [
          ...check.pending.map((m) => `pending  ${m.version} ${m.name} (run plumb db upgrade)`),
          ...check.unknown.map(
            (m) => `unknown  ${m.version} ${m.name} (applied by a newer release ≥ ${m.minServerRelease})`,
          ),
          ...check.checksumMismatches.map(
            (m) => `MISMATCH ${m.version}: recorded ${m.recorded}, expected ${m.expected}`,
          ),
          ...check.missingTables.map((t) => `MISSING  table ${t}`),
          ...check.missingIndexes.map((i) => `MISSING  index ${i}`),
          ...check.missingUniqueKeys.map((k) => `MISSING  unique key ${k}`),
        ];
        for (const m of check.applied) console.log(`applied  ${m.version} ${m.name} ${m.checksum.slice(0, 12)}`);
        for (const line of problems) console.log(line);
        if (problems.length === 0) console.log('OK: the schema matches this release');
        else process.exitCode = 1;
      });
    });
}
