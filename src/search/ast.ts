/**
 * The parsed form of MLflow's search filters and order_by clauses. The parser (pure) builds it;
 * store/sql/ compiles it to SQL. Keys and attribute names are already normalised here: aliases
 * such as `metric.`, `parameters.`, `attr.`, `run name` or `created` never reach the compiler.
 */

export const ENTITY_TYPES = ['metric', 'param', 'tag', 'attribute', 'dataset'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface Identifier {
  readonly type: EntityType;
  /**
   * For metric/param/tag: the key, unquoted. For attribute: the canonical attribute name
   * (runs: run_id, run_name, status, user_id, artifact_uri, lifecycle_stage, start_time, end_time;
   * experiments: name, experiment_id, creation_time, last_update_time, lifecycle_stage).
   * For dataset: name, digest or context.
   */
  readonly key: string;
}

export const COMPARATORS = ['=', '!=', '<', '<=', '>', '>=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'] as const;
export type Comparator = (typeof COMPARATORS)[number];

export type Value =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'list'; readonly values: readonly string[] };

export interface Comparison {
  readonly identifier: Identifier;
  readonly comparator: Comparator;
  readonly value: Value;
}

/** Comparisons joined by AND: MLflow's grammar has no OR, NOT or parentheses. */
export type Filter = readonly Comparison[];

export interface OrderBy {
  readonly identifier: Identifier;
  readonly ascending: boolean;
}
