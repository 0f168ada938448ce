import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { Filter, OrderBy } from '../../search/ast.ts';
import type { RunQuery } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import { applyRunFilter, applyRunOrderBy } from './run-search.ts';
import type { Database } from './schema.ts';

/** The most index entries one walk reads (ties included); past that the general plan answers. */
const MAX_WALK = 30_000;

/** Pages deeper than this are left to the general plan. */
const MAX_WALK_WINDOW = 2_000;

/** The runs query as searchRuns builds it: scope (experiments, watermark, lifecycle) already applied. */
type ScopedRuns = <O>(qb: SelectQueryBuilder<Database, 'runs', O>) => SelectQueryBuilder<Database, 'runs', O>;

export interface WalkRequest {
  readonly query: RunQuery;
  readonly experimentIds: readonly number[];
  /** Applies the search's scope to a runs query (the same one the general plan uses). */
  readonly scope: ScopedRuns;
  /** Columns of `runs` the caller reads from each row. */
  readonly columns: readonly `runs.${string}`[];
}

/**
 * A search ordered by one metric, param or tag, answered by walking that key's (key, value) index
 * in the requested order and keeping the runs that pass the filter until the page is full, instead
 * of finding every matching run and sorting them all (the general plan). Runs without the key (and,
 * for a metric, runs whose value is NaN) sort after every value, so what the walk finds is the
 * start of the order whenever it fills the page.
 *
 * Which plan wins depends on how many runs match: the walk reads about page ÷ selectivity index
 * entries, the general plan every run in scope, or those its most selective equality on a param
 * or tag yields; and a walked entry costs about three general-plan rows (each is a lookup
 * elsewhere in the file, where the general plan reads in index order). So the walk first looks at
 * a few pages' worth of entries; when that does not fill the page, the share that matched tells
 * how far it would have to go. Each walk goes ahead only after counting that the general plan
 * would read at least three times as many rows, a count that stops there, so deciding costs a
 * fraction of the walk itself. A search thus costs little more than the general plan at worst and
 * often far less: at 100k runs, `order by metrics.m1 DESC` or `order by params.p5` with no filter
 * sorted every run (380–680 ms) where the walk reads a page's worth or one group of tied values,
 * and `params.p3 = 'v7' and metrics.m2 > 0.5` (5% of runs) read 10k runs and sorted 5k of them
 * (40–80 ms) where the walk reads about 2k entries.
 *
 * Only where CROSS JOIN fixes the join order (SQLite): elsewhere the planner may turn the walk
 * back into the general plan's shape. Returns the page's rows (up to offset + maxResults + 1, the
 * window searchRuns slices), or undefined when the general plan must answer.
 */
export async function walkEntryOrder<Row>(
  db: Kysely<Database>,
  dialect: SqlDialect,
  request: WalkRequest,
): Promise<Row[] | undefined> {
  const order = singleEntryOrder(request.query.orderBy);
  const window = request.query.offset + request.query.maxResults + 1;
  if (!dialect.crossJoinFixesOrder || order === undefined || window > MAX_WALK_WINDOW) return undefined;
  const first = await probe<Row>(db, dialect, request, order, PROBE_PAGES * window);
  if (first === undefined || first.rows.length === window) return first?.rows;
  if (first.extent.all || first.rows.length === 0) return undefined;
  // The share of the first look that matched predicts how far the walk must go: it goes on when
  // that is within what the general plan would cost. It stops once the page is full, so it walks
  // with the whole of that budget as its limit.
  const needed = (window * first.extent.entries) / first.rows.length;
  if (needed > MAX_WALK) return undefined;
  const budget = Math.floor((await generalPlanRows(db, request, WALK_ENTRY_COST * MAX_WALK)) / WALK_ENTRY_COST);
  if (needed > budget) return undefined;
  const extent = await walkExtent(db, order, budget, TIE_ALLOWANCE * budget);
  if (extent === undefined) return undefined;
  const rows = await walk<Row>(db, dialect, request, order, extent);
  return rows.length === window ? rows : undefined;
}

/**
 * The first look: a walk over `count` entries and their ties, if the general plan would read at
 * least three times as many rows. Ties past twice `count` are counted further only when needed
 * (a key with few distinct values): counting them costs what walking them would.
 */
async function probe<Row>(
  db: Kysely<Database>,
  dialect: SqlDialect,
  request: WalkRequest,
  order: EntryOrder,
  count: number,
): Promise<{ extent: WalkExtent; rows: Row[] } | undefined> {
  const extent =
    (await walkExtent(db, order, count, TIE_ALLOWANCE * count)) ?? (await walkExtent(db, order, count, MAX_WALK));
  if (extent === undefined || !(await generalPlanReads(db, request, WALK_ENTRY_COST * extent.entries))) {
    return undefined;
  }
  return { extent, rows: await walk<Row>(db, dialect, request, order, extent) };
}

/** A walked index entry costs about this many rows of the general plan (measured at 100k runs). */
const WALK_ENTRY_COST = 3;
/** The first look covers this many pages' worth of entries. */
const PROBE_PAGES = 4;
/** How far past its budget a walk may go to take in every entry tied with its last one. */
const TIE_ALLOWANCE = 2;

type EntryOrder = OrderBy & { readonly identifier: { readonly type: 'metric' | 'param' | 'tag' } };

const ENTRY_TABLES = { metric: 'latest_metrics', param: 'params', tag: 'tags' } as const;

/** The key's entries in the requested order: the index the walk reads. */
function entries(db: Kysely<Database>, order: EntryOrder) {
  // Params and tags have the same columns, so one typing serves the three tables.
  const table = ENTRY_TABLES[order.identifier.type] as 'latest_metrics';
  return db
    .selectFrom(table)
    .where('key', '=', order.identifier.key)
    .orderBy('value', order.ascending ? 'asc' : 'desc');
}

/** What a walk reads: entries up to `edge` (ties included), or all of the key's when `all`. */
interface WalkExtent {
  readonly edge: string | number | undefined;
  /** How many entries that is (at most, when `all`). */
  readonly entries: number;
  readonly all: boolean;
}

/**
 * The key's first `count` index entries and every entry tied with the last of them: with the ties
 * in, a walk covers a prefix of the order, so a full page from it is the start of the answer.
 * Undefined when the ties take it past `most` entries.
 */
async function walkExtent(
  db: Kysely<Database>,
  order: EntryOrder,
  count: number,
  most: number,
): Promise<WalkExtent | undefined> {
  const edge = await entries(db, order)
    .select('value')
    .limit(1)
    .offset(count - 1)
    .executeTakeFirst();
  if (edge === undefined) return { edge: undefined, entries: count, all: true };
  const withTies = await db
    .selectFrom(
      upTo(entries(db, order), order, edge.value)
        .select(sql.lit(1).as('one'))
        .limit(most + 1)
        .as('e'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const size = Number(withTies.n);
  return size > most ? undefined : { edge: edge.value, entries: size, all: false };
}

function upTo<Q extends ReturnType<typeof entries>>(qb: Q, order: EntryOrder, edge: string | number | undefined): Q {
  // params and tags compare text, metrics numbers: one typing (latest_metrics') serves the three.
  return edge === undefined ? qb : (qb.where('value', order.ascending ? '<=' : '>=', edge as number) as Q);
}

/** The first `window` runs in scope that pass the filter among the entries of `extent`. */
async function walk<Row>(
  db: Kysely<Database>,
  dialect: SqlDialect,
  request: WalkRequest,
  order: EntryOrder,
  extent: WalkExtent,
): Promise<Row[]> {
  const { query } = request;
  const isMetric = order.identifier.type === 'metric';
  // The LIMIT adds nothing to the bound on the value but keeps SQLite from flattening the walk
  // into the outer query, where it would plan the search the general way.
  const walked = upTo(entries(db, order), order, extent.edge)
    .select(['run_uuid', 'value', isMetric ? 'is_nan' : sql.lit(0).as('is_nan')])
    .limit(extent.entries);
  // The walk's rows first, then each run by its id: CROSS JOIN keeps that order on SQLite, and the
  // ORDER BY's first term is then already satisfied, so the engine stops once the page is full
  // (after sorting the last group of tied values by the tie-breaks).
  // NaN metrics are stored as 0 with is_nan set; they sort after every number, so they are skipped.
  const joined = db
    .selectFrom(walked.as('walk'))
    .crossJoin('runs')
    .whereRef('runs.run_uuid', '=', 'walk.run_uuid')
    .where('walk.is_nan', '=', 0)
    .select(request.columns as never[])
    .orderBy('walk.value', order.ascending ? 'asc' : 'desc');
  // The filter and tie-breaks address `runs` only; the walk's alias is invisible to them.
  const runsQuery = joined as unknown as SelectQueryBuilder<Database, 'runs', Row>;
  const ordered = applyRunOrderBy(applyRunFilter(request.scope(runsQuery), query.filter, dialect), [], dialect);
  return ordered.limit(query.offset + query.maxResults + 1).execute();
}

function singleEntryOrder(orderBy: readonly OrderBy[]): EntryOrder | undefined {
  const [only, ...rest] = orderBy;
  if (only === undefined || rest.length > 0) return undefined;
  const { type } = only.identifier;
  return type === 'metric' || type === 'param' || type === 'tag' ? (only as EntryOrder) : undefined;
}

/**
 * Whether the general plan would read at least `rows` rows: the search's runs in scope, or the
 * runs an equality on a param or tag yields from the (key, value) index, whichever is fewer.
 */
async function generalPlanReads(db: Kysely<Database>, request: WalkRequest, rows: number): Promise<boolean> {
  return (await generalPlanRows(db, request, rows)) >= rows;
}

/**
 * How many rows the general plan reads, counted up to `most`. Equalities first: their index
 * entries count cheaply, and the runs in scope are then counted only up to the fewest of them.
 */
async function generalPlanRows(db: Kysely<Database>, request: WalkRequest, most: number): Promise<number> {
  const one = sql.lit(1).as('one');
  const count = async <T extends 'runs' | 'params' | 'tags'>(
    found: SelectQueryBuilder<Database, T, { one: number }>,
    cap: number,
  ) =>
    Number(
      (
        await db
          .selectFrom(found.limit(cap).as('found'))
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  let fewest = most;
  for (const { table, key, value } of equalityEntries(request.query.filter)) {
    fewest = Math.min(
      fewest,
      await count(db.selectFrom(table).select(one).where('key', '=', key).where('value', '=', value), fewest),
    );
  }
  return count(request.scope(db.selectFrom('runs').select(one)), fewest);
}

function equalityEntries(filter: Filter): { table: 'params' | 'tags'; key: string; value: string }[] {
  return filter.flatMap(({ identifier: { type, key }, comparator, value }) =>
    (type === 'param' || type === 'tag') && comparator === '=' && value.kind === 'string'
      ? [{ table: type === 'param' ? ('params' as const) : ('tags' as const), key, value: value.value }]
      : [],
  );
}
