/**
 * The node-registry part of the metadata port (DESIGN invariant 7): every server process records
 * itself and refreshes a heartbeat, so replicas and operators can see who is live and whether
 * their configurations agree. All times are the DATABASE's clock (epoch ms): no node's clock
 * decides whether another node is live.
 */
export interface NodeRegistryStore {
  /**
   * Records the node, or replaces an earlier row with the same id; started_at and heartbeat_at
   * are set to the database's current time. Returns the row as stored.
   */
  register(node: NodeRegistration, admission?: Admission): Promise<ServerNode>;
  /** Moves heartbeat_at to the database's now. Returns false when the row is gone (the caller re-registers). */
  heartbeat(nodeId: string): Promise<boolean>;
  /**
   * Nodes whose heartbeat is at most `withinMs` old by the database's clock, oldest start first
   * (ties by node id), so every caller sees the same order.
   */
  listLive(withinMs: number): Promise<ServerNode[]>;
  /** Deletes the node's row (clean shutdown). Returns false when there was none. */
  remove(nodeId: string): Promise<boolean>;
  /**
   * Adds request counts to the client versions seen (last_seen = the database's now) and drops
   * versions not seen for `forgetAfterMs`, so a table fed by User-Agents cannot grow without bound.
   */
  recordClients(sightings: readonly ClientSighting[], forgetAfterMs: number): Promise<void>;
  /** Client versions seen within `withinMs` by the database's clock, by client then version. */
  listClients(withinMs: number): Promise<ClientVersionSeen[]>;
}

/** Requests from one client release counted by one server since its last report. */
export interface ClientSighting {
  readonly client: string;
  readonly version: string;
  readonly requests: number;
}

export interface ClientVersionSeen extends ClientSighting {
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/**
 * A check made in the same transaction as the registration: `admit` sees the other nodes live
 * within `liveWithinMs` and throws to refuse. Registrations are serialised against each other, so
 * two nodes starting at the same moment cannot both miss each other.
 */
export interface Admission {
  readonly liveWithinMs: number;
  admit(others: readonly ServerNode[]): void;
}

export interface NodeRegistration {
  readonly nodeId: string;
  readonly host: string;
  readonly port: number;
  readonly version: string;
  /** The highest applied migration when the node started. */
  readonly schemaVersion: number;
  /** sha256 hex of the settings replicas must agree on (config-fingerprint.ts). */
  readonly configFingerprint: string;
  /** Those settings, secrets never included. */
  readonly configSummary: { readonly [key: string]: unknown };
}

export interface ServerNode extends NodeRegistration {
  readonly startedAt: number;
  readonly heartbeatAt: number;
}
