import type { Kysely, Selectable } from 'kysely';
import type {
  Admission,
  ClientSighting,
  ClientVersionSeen,
  NodeRegistration,
  NodeRegistryStore,
  ServerNode,
} from '../node-registry-store.ts';
import type { SqlDialect } from './dialect.ts';
import type { Database } from './schema.ts';

/** Row types of migrations 0006 and 0007, kept here so the shared schema file stays small. */
export type NodeTables = {
  server_nodes: {
    node_id: string;
    host: string;
    port: number;
    version: string;
    schema_version: number;
    started_at: number;
    heartbeat_at: number;
    config_fingerprint: string;
    config_summary: string;
  };
  client_versions: {
    client: string;
    version: string;
    first_seen: number;
    last_seen: number;
    requests: number;
  };
};

type NodeDb = Kysely<Database & NodeTables>;

function toNode(row: Selectable<NodeTables['server_nodes']>): ServerNode {
  return {
    nodeId: row.node_id,
    host: row.host,
    port: Number(row.port),
    version: row.version,
    schemaVersion: Number(row.schema_version),
    // PostgreSQL returns bigint as a string.
    startedAt: Number(row.started_at),
    heartbeatAt: Number(row.heartbeat_at),
    configFingerprint: row.config_fingerprint,
    configSummary: JSON.parse(row.config_summary) as ServerNode['configSummary'],
  };
}

/** The node registry over one SQL database; every write is its own short transaction. */
export class SqlNodeRegistryStore implements NodeRegistryStore {
  private readonly db: NodeDb;

  constructor(
    db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {
    this.db = db.withTables<NodeTables>();
  }

  private async write<T>(work: (db: NodeDb) => Promise<T>): Promise<T> {
    try {
      return await this.dialect.transaction(this.db, work);
    } catch (error) {
      throw this.dialect.translateError(error);
    }
  }

  async register(node: NodeRegistration, admission?: Admission): Promise<ServerNode> {
    const now = this.dialect.currentTimeMillis();
    return this.write(async (db) => {
      if (admission) {
        // FOR UPDATE over the whole table: a second registration waits here (MySQL), or one of two
        // fails serialization and is retried (PostgreSQL), and then sees the first one's row.
        const live = await this.dialect.lockRowsForUpdate(this.liveQuery(db, admission.liveWithinMs)).execute();
        admission.admit(live.map(toNode).filter((n) => n.nodeId !== node.nodeId));
      }
      // Delete + insert rather than a dialect-specific upsert: a restarted node may reuse its id.
      await db.deleteFrom('server_nodes').where('node_id', '=', node.nodeId).execute();
      await db
        .insertInto('server_nodes')
        .values({
          node_id: node.nodeId,
          host: node.host,
          port: node.port,
          version: node.version,
          schema_version: node.schemaVersion,
          started_at: now,
          heartbeat_at: now,
          config_fingerprint: node.configFingerprint,
          config_summary: JSON.stringify(node.configSummary),
        })
        .execute();
      const row = await db
        .selectFrom('server_nodes')
        .selectAll()
        .where('node_id', '=', node.nodeId)
        .executeTakeFirstOrThrow();
      return toNode(row);
    });
  }

  async heartbeat(nodeId: string): Promise<boolean> {
    const result = await this.write((db) =>
      db
        .updateTable('server_nodes')
        .set({ heartbeat_at: this.dialect.currentTimeMillis() })
        .where('node_id', '=', nodeId)
        .executeTakeFirst(),
    );
    return result.numUpdatedRows > 0n;
  }

  async listLive(withinMs: number): Promise<ServerNode[]> {
    return (await this.liveQuery(this.db, withinMs).execute()).map(toNode);
  }

  private liveQuery(db: NodeDb, withinMs: number) {
    return db
      .selectFrom('server_nodes')
      .selectAll()
      .where((eb) => eb('heartbeat_at', '>=', eb(this.dialect.currentTimeMillis(), '-', Math.floor(withinMs))))
      .orderBy('started_at')
      .orderBy('node_id');
  }

  async remove(nodeId: string): Promise<boolean> {
    const result = await this.write((db) =>
      db.deleteFrom('server_nodes').where('node_id', '=', nodeId).executeTakeFirst(),
    );
    return result.numDeletedRows > 0n;
  }

  async recordClients(sightings: readonly ClientSighting[], forgetAfterMs: number): Promise<void> {
    const now = this.dialect.currentTimeMillis();
    await this.write(async (db) => {
      for (const { client, version, requests } of sightings) {
        // Insert-if-absent then add: two servers reporting the same version at once both count.
        await this.dialect
          .insertIgnoringDuplicates(
            db.insertInto('client_versions').values({ client, version, first_seen: now, last_seen: now, requests: 0 }),
          )
          .execute();
        await db
          .updateTable('client_versions')
          .set((eb) => ({ last_seen: now, requests: eb('requests', '+', requests) }))
          .where('client', '=', client)
          .where('version', '=', version)
          .execute();
      }
      await db
        .deleteFrom('client_versions')
        .where((eb) => eb('last_seen', '<', eb(now, '-', Math.floor(forgetAfterMs))))
        .execute();
    });
  }

  async listClients(withinMs: number): Promise<ClientVersionSeen[]> {
    const rows = await this.db
      .selectFrom('client_versions')
      .selectAll()
      .where((eb) => eb('last_seen', '>=', eb(this.dialect.currentTimeMillis(), '-', Math.floor(withinMs))))
      .orderBy('client')
      .orderBy('version')
      .execute();
    return rows.map((row) => ({
      client: row.client,
      version: row.version,
      requests: Number(row.requests),
      firstSeen: Number(row.first_seen),
      lastSeen: Number(row.last_seen),
    }));
  }
}
