import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { ArtifactPath } from '../../core/artifact-path.ts';
import type { ArtifactManifestStore, ManifestEntry, TierTotals } from '../artifact-manifest-store.ts';
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
    // Only set when tiering is in use: entries of a store without tiers look as they always did.
    ...(row.tier === 'hot' || row.tier === 'cold' ? { tier: row.tier } : {}),
    ...(row.hot_node ? { hotNode: row.hot_node } : {}),
    ...(row.move_started_at === null || row.move_started_at === undefined
      ? {}
      : { moveStartedAt: Number(row.move_started_at) }),
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
      tier: entry.tier ?? null,
      hot_node: entry.hotNode ?? null,
      move_started_at: null,
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

  async listHot(options: { node?: string | undefined; limit: number }): Promise<ManifestEntry[]> {
    let query = this.db.selectFrom('artifact_manifest').selectAll().where('tier', '=', 'hot');
    const { node } = options;
    if (node !== undefined) query = query.where((eb) => eb.or([eb('hot_node', '=', node), eb('hot_node', 'is', null)]));
    const rows = await query.orderBy('recorded_at').orderBy('path_hash').limit(options.limit).execute();
    return rows.map(toEntry);
  }

  async listStaleMoves(before: number, limit: number): Promise<ManifestEntry[]> {
    const rows = await this.db
      .selectFrom('artifact_manifest')
      .selectAll()
      .where('move_started_at', 'is not', null)
      .where('move_started_at', '<', before)
      .orderBy('move_started_at')
      .limit(limit)
      .execute();
    return rows.map(toEntry);
  }

  async claimMove(entry: ManifestEntry, at: number, staleBefore: number): Promise<boolean> {
    const result = await this.db
      .updateTable('artifact_manifest')
      .set({ move_started_at: at })
      .where('path_hash', '=', hashOf(entry.path))
      .where('sha256', '=', entry.sha256)
      .where('etag', '=', entry.etag)
      .where('tier', '=', 'hot')
      .where((eb) => eb.or([eb('move_started_at', 'is', null), eb('move_started_at', '<', staleBefore)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async markCold(entry: ManifestEntry, coldEtag: string): Promise<boolean> {
    const result = await this.db
      .updateTable('artifact_manifest')
      // hot_node stays until the claim is released: it says whose disk a leftover hot copy is on.
      .set({ tier: 'cold', etag: coldEtag })
      .where('path_hash', '=', hashOf(entry.path))
      .where('sha256', '=', entry.sha256)
      .where('etag', '=', entry.etag)
      .where('tier', '=', 'hot')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async finishMove(path: ArtifactPath, sha256: string): Promise<void> {
    await this.db
      .updateTable('artifact_manifest')
      .set({
        move_started_at: null,
        hot_node: sql<string | null>`case when ${sql.ref('tier')} = 'cold' then null else ${sql.ref('hot_node')} end`,
      })
      .where('path_hash', '=', hashOf(path))
      .where('sha256', '=', sha256)
      .execute();
  }

  async tierTotals(): Promise<TierTotals> {
    const rows = await this.db
      .selectFrom('artifact_manifest')
      .select((eb) => [
        'tier',
        eb.fn.countAll<number | string>().as('objects'),
        eb.fn.sum<number | string | null>('size').as('bytes'),
        eb.fn.count<number | string>('move_started_at').as('pending'),
      ])
      .groupBy('tier')
      .execute();
    const totals = { hot: { objects: 0, bytes: 0 }, cold: { objects: 0, bytes: 0 }, pendingMoves: 0 };
    for (const row of rows) {
      const side = row.tier === 'hot' ? totals.hot : totals.cold;
      side.objects += Number(row.objects);
      side.bytes += Number(row.bytes ?? 0);
      totals.pendingMoves += Number(row.pending);
    }
    return totals;
  }
}
