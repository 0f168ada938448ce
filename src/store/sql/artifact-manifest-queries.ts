import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { ArtifactPath } from '../../core/artifact-path.ts';
import type { ArtifactManifestStore, ManifestEntry } from '../artifact-manifest-store.ts';
import type { SqlDialect } from './dialect.ts';
import type { Database } from './schema.ts';

const hashOf = (path: string) => createHash('sha256').update(path).digest('hex');

type Row = Database['artifact_manifest'];

function toEntry(row: Row): ManifestEntry {
  return {
    path: row.path as ArtifactPath,
    runId: row.run_uuid ?? undefined,
    size: Number(row.size),
    sha256: row.sha256,
    etag: row.etag,
    recordedAt: Number(row.recorded_at),
  };
}

/**
 * `path` itself or anything below it. substr() rather than LIKE: LIKE would treat `%`/`_` in
 * artifact names as wildcards and ignores case on SQLite.
 */
function underPath(path: ArtifactPath) {
  const prefix = `${path}/`;
  return sql<boolean>`(path = ${path} or substr(path, 1, ${prefix.length}) = ${prefix})`;
}

export class SqlArtifactManifestStore implements ArtifactManifestStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

  async record(entry: ManifestEntry): Promise<void> {
    const row: Row = {
      path_hash: hashOf(entry.path),
      path: entry.path,
      run_uuid: entry.runId ?? null,
      size: entry.size,
      sha256: entry.sha256,
      etag: entry.etag,
      recorded_at: entry.recordedAt,
    };
    // Delete-then-insert in one transaction: a portable upsert.
    await this.dialect.transaction(this.db, async (tx) => {
      await tx.deleteFrom('artifact_manifest').where('path_hash', '=', row.path_hash).execute();
      await tx.insertInto('artifact_manifest').values(row).execute();
    });
  }

  async get(path: ArtifactPath): Promise<ManifestEntry | undefined> {
    const row = await this.db
      .selectFrom('artifact_manifest')
      .selectAll()
      .where('path_hash', '=', hashOf(path))
      .executeTakeFirst();
    return row ? toEntry(row) : undefined;
  }

  async listUnder(path: ArtifactPath, limit = 100_000): Promise<ManifestEntry[]> {
    let query = this.db.selectFrom('artifact_manifest').selectAll();
    if (path !== '') query = query.where(underPath(path));
    const rows = await query.orderBy('path').limit(limit).execute();
    return rows.map(toEntry);
  }

  async deleteUnder(path: ArtifactPath): Promise<number> {
    let query = this.db.deleteFrom('artifact_manifest');
    if (path !== '') query = query.where(underPath(path));
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
