import type { Expression, Kysely, OrderByModifiers, RawBuilder, SqlBool } from "kysely";
import type { SqliteLockWait } from "../sqlite-startup.js";
import type { WorkflowStateDatabase } from "../workflow-state-table.js";

type Sql = Expression<unknown>;

/** The columns the list sorts by, each backed by an index that leads with the flow prefix. */
export const LIST_SORT_COLUMNS = ["updated_at", "created_at", "label", "current_step"] as const;

/** A column the list sorts by. */
export type ListSortKey = (typeof LIST_SORT_COLUMNS)[number];

/** A column the list sorts by, or the tie-break. */
export type ListSortColumn = ListSortKey | "flow_session_key";

/**
 * Everything that differs between SQLite and PostgreSQL, so that the repositories never ask which database they
 * talk to: sort expressions and direction, collation, prefix tests, byte comparisons, counts and the schema.
 */
export interface SqlDialect {
  /** The dialect's name, for messages only: code never branches on it. */
  readonly name: "sqlite" | "postgres";
  /**
   * True where the driver runs each statement on the event loop and a commit can checkpoint the write-ahead log
   * there (SQLite through better-sqlite3): a move of many sessions then hands its checkpoints to a worker thread
   * (`WalCheckpointer`).
   */
  readonly checkpointsOnLoop: boolean;
  /**
   * True where reading {@link changeToken} costs no round trip (SQLite, in process): the store then remembers plain
   * list windows, pins and row tags by it, since a token read is much cheaper than the reads it saves. Where it costs
   * a round trip (PostgreSQL), those reads are remembered only at a read point (`SessionScope.readPoint`), whose one
   * token read a request's reads share; without one they are always made.
   */
  readonly localChangeToken: boolean;
  /**
   * This connection's own row changes so far (SQLite's `total_changes()`), read without touching a table, so that a
   * transaction it starts stays unopened until its first write (which then waits for the write lock, where a read
   * first would fail at once with SQLITE_BUSY); `undefined` where the database offers no {@link changeToken}.
   */
  ownChanges(db: Kysely<WorkflowStateDatabase>): Promise<number | undefined>;
  /**
   * The {@link changeToken} as it was before a write transaction made its changes, from the token read at its end
   * (while it held the write lock, so no other connection committed meanwhile) and {@link ownChanges} read at its start.
   */
  tokenBefore(after: string, ownChangesBefore: number): string;
  /**
   * Creates the table and indexes if missing and adds columns that older files lack. Idempotent. On SQLite it runs
   * in one transaction that holds the write lock from its start; with `wait`, that lock is awaited without blocking
   * the event loop (see `migrateInImmediateTransaction()`).
   */
  migrate(db: Kysely<WorkflowStateDatabase>, wait?: SqliteLockWait, progress?: (message: string) => void): Promise<void>;
  /** True when the index `name` exists (in the current schema). */
  indexExists(db: Kysely<WorkflowStateDatabase>, name: string): Promise<boolean>;
  /** `flow_session_key`, compared byte-wise so that a key range selects exactly one flow. */
  keyColumn(): RawBuilder<string>;
  /**
   * `expression`, kept from choosing an index: SQLite's unary `+`, for a query whose best index SQLite's planner
   * cannot see without statistics (PostgreSQL's planner has them: the expression as is).
   */
  notIndexed<T>(expression: RawBuilder<T>): RawBuilder<T>;
  /**
   * The ORDER BY expression of a list sort (or of the tie-break, `flow_session_key`), exactly as the list index
   * holds it. Text sorts byte-wise and labels fold ASCII case only, on both databases, so they list sessions in one
   * order; the label search uses the same `label` expression. Literal text, never a bound parameter.
   */
  listSort(column: ListSortColumn): RawBuilder<string>;
  /**
   * The ORDER BY direction of a list query: NULLs first ascending and last descending (SQLite's default, which its
   * indexes serve), on every database.
   */
  orderDirection(descending: boolean): OrderByModifiers;
  /**
   * Order a run of rows whose sort value is NULL by the key alone (the same order): SQLite's planner walks the index
   * for `ORDER BY key` under `lower(label) IS NULL`, but sorts for `ORDER BY lower(label), key`; PostgreSQL walks it
   * for the full ORDER BY.
   */
  readonly orderNullRunByKey: boolean;
  /** How the list indexes order NULLs, appended to each of their expressions: `""` where the default is the list's. */
  readonly indexNulls: string;
  /** The bytes of a text column, as stored, so two reads of it compare exactly (whatever the collation or encoding). */
  bytesOf(column: Sql): RawBuilder<Uint8Array>;
  /**
   * True when the text `column` starts with `prefix`, as a filter for a walk of another index (never LIKE). SQLite
   * compares its first characters; PostgreSQL calls `starts_with()`, whose estimate from the column's statistics
   * keeps the planner on the order's index, where a comparison of the first characters would be estimated to
   * match almost nothing and be sorted instead.
   */
  startsWith(column: RawBuilder<string>, prefix: string): RawBuilder<SqlBool>;
  /**
   * Runs a query that must walk an index in order, never sort: as is on SQLite, whose planner walks the index the
   * ORDER BY names; on PostgreSQL in a transaction with `enable_sort` off, since its planner sorts the matches of
   * a small or unvacuumed table instead (cheaper there by its estimate, but a cost that grows with the matches).
   */
  inOrderedWalk<T>(db: Kysely<WorkflowStateDatabase>, query: (db: Kysely<WorkflowStateDatabase>) => Promise<T>): Promise<T>;
  /** The size in bytes of a text column, computed without reading it where the database allows. */
  byteLength(column: Sql): RawBuilder<number>;
  /**
   * The key's flow part, `"<flowId>:"`: everything up to and including its first `:`. For a flow id without `:`,
   * `flowPrefix() = "<flowId>:"` selects exactly the keys of the range `flowId:` ≤ key < `flowId;`. The list indexes
   * lead with this expression, so a list query must use it verbatim.
   */
  flowPrefix(): RawBuilder<string>;
  /**
   * A token that changes whenever the table may have changed, from this connection or any other (SQLite's
   * `data_version` and `total_changes()`, PostgreSQL's write-ahead log position); `undefined` when the database offers
   * no cheap one (then nothing is cached).
   */
  changeToken(db: Kysely<WorkflowStateDatabase>): Promise<string | undefined>;
  /**
   * A token that moves when the table changes, perhaps a second or so late (PostgreSQL's statistics, which lag a
   * commit by up to a second): for the list's landmarks, which may be stale by the rows changed since their walk.
   * {@link changeToken} where there is one.
   */
  statsToken(db: Kysely<WorkflowStateDatabase>): Promise<string | undefined>;
  /**
   * A token that moves when another connection changes the table, polled by the live updates where the store has
   * no notification connection: SQLite's `PRAGMA data_version` (this connection's own commits leave it as it is);
   * {@link statsToken} on PostgreSQL, whose own notifications are the better way there.
   */
  othersChangeToken(db: Kysely<WorkflowStateDatabase>): Promise<string | undefined>;
  /**
   * The number of sessions whose key starts with `flowPrefix` (and whose owner is `owner`, when given), read from a
   * count the database keeps up to date as rows come and go; `undefined` when it keeps none (then the store counts
   * the index, and caches the count by {@link changeToken}).
   */
  keptCount(db: Kysely<WorkflowStateDatabase>, flowPrefix: string, owner: string | undefined): Promise<number | undefined>;
  /**
   * Holds, until the transaction `trx` ends, a lock named by `name`, so that transactions taking the same one run one
   * after another (e.g. one owner's pins of one flow, counted and then added to). PostgreSQL takes a transaction-level
   * advisory lock; SQLite does nothing, since the store's one connection runs its transactions one at a time.
   */
  lockFor(trx: Kysely<WorkflowStateDatabase>, name: string): Promise<void>;
}
