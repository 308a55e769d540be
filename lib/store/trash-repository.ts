import { randomUUID } from "node:crypto";
import { sql, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import { RestoreConflictError, SessionNotFoundError, StoreUnavailableError } from "../errors.js";
import type { BulkMoves } from "./bulk-moves.js";
import { removeExtrasOfRemoved } from "./removed-sessions.js";
import { runQuery as runDatabaseQuery } from "./database-errors.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { keyChunks } from "./key-chunks.js";
import { CHUNK_TARGET_MS, inChunks, inFlow, matchingKeys, matchWhere, OFF_LOOP_CHUNK_TARGET_MS, type TrashMatch } from "./matching-walk.js";
import type { SessionCounts } from "./session-counts.js";
import { checkedOwner, checkFlowId, sessionKey } from "./session-keys.js";
import { toSummary, type SummaryRow } from "./summary-rows.js";
import type { SessionScope, SessionSnapshot } from "./session-types.js";
import type { TrashedSession, TrashOrderBy } from "../session-types.js";

export type { TrashedSession, TrashOrderBy } from "../session-types.js";
export { CHUNK_TARGET_MS, OFF_LOOP_CHUNK_TARGET_MS, TRASH_CHUNK, type TrashMatch } from "./matching-walk.js";
import { formatTimestamp, parseTimestamp, SESSION_COLUMNS, TRASH_TABLE, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";
import { keyIn, recordRows, recordSelected } from "./activity-log.js";

/** Options of `WorkflowStore.listTrash()`. */
export interface TrashWindowOptions {
  /** The first row of the window, 0-based; past the end, the last full window is returned. */
  offset: number;
  /** The most rows in the window. */
  limit: number;
  /** Keeps the sessions whose id or stored label (ignoring ASCII case) starts with this text. @default "" */
  search?: string;
  /** @default "deleted_at" */
  orderBy?: TrashOrderBy;
  /** @default true for `deleted_at` and `updated_at`, false otherwise */
  descending?: boolean;
}

/** One window of the trash and the number of trashed sessions that match. */
export interface TrashWindow {
  sessions: TrashedSession[];
  total: number;
  /** Where the window actually starts, after clamping. */
  offset: number;
}

/** Options of a move into the trash. */
export interface TrashOptions {
  /** The id every moved row carries, so Undo can restore exactly this delete. @default a fresh UUID */
  batch?: string;
  /** The time stamped as `deleted_at`. @default now */
  deletedAt?: Date;
  /**
   * Moves (or deletes) only a row still exactly as this snapshot of one session read it (from
   * `getSessionRecord()`); otherwise nothing moves and `SessionNotFoundError` is thrown, so a version check and the
   * delete it guards are one transaction.
   * @default none: the rows move whatever they hold
   */
  unchanged?: SessionSnapshot;
}

/** Options of `WorkflowStore.purgeTrash()`. Without any, the whole trash (for the scope) is emptied. */
export interface PurgeTrashOptions extends TrashMatch {
  /** Exactly these sessions; throws `SessionNotFoundError` (purging nothing) when one of them is not in the trash. */
  ids?: readonly string[];
  /** Only those deleted before this time. */
  olderThan?: Date;
  /** Purges at most this many (one statement), for a bounded batch. @default all, in chunks of {@link TRASH_CHUNK} */
  limit?: number;
  /** Called with the ids of the sessions purged, once per chunk as it commits (e.g. to clean up their files). */
  onPurged?: (sessionIds: string[]) => void;
}

type Db = Kysely<WorkflowStateDatabase>;

// A read-only file from before the trash has no trash table (nothing is migrated read-only): that answers 503, as
// any other write to a read-only file does, rather than an unexplained 500.
async function runQuery<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await runDatabaseQuery(query);
  } catch (error) {
    if (/no such table: workflow_state_trash|relation "workflow_state_trash" does not exist/.test(String((error as Error)?.message))) {
      throw new StoreUnavailableError(
        "The workflow-state database has no workflow_state_trash table: it was opened read-only before the trash existed. Open it writable once to create it.",
        { cause: error },
      );
    }
    throw error;
  }
}

const columns = sql.join(SESSION_COLUMNS.map((name) => sql.ref(name)));

/**
 * The trash, `workflow_state_trash`: moving sessions into it and back, listing and purging it. Every move is one
 * transaction that inserts the rows' exact values into the other table and deletes them from the first, so a row is
 * always in exactly one of them and its bytes never change. Moves of all matching sessions run in chunks of
 * {@link TRASH_CHUNK}, one transaction each, yielding to the event loop between chunks.
 */
export class TrashRepository {
  /**
   * @param follow - the store's counts and moves under way: a move of many sessions registers there, and each of its
   *   chunks keeps the remembered flow count right, so lists shown meanwhile neither recount the flow nor rebuild
   *   their landmarks after every chunk
   */
  constructor(
    private readonly db: Db,
    private readonly dialect: SqlDialect,
    private readonly follow?: { counts: SessionCounts; moves: BulkMoves },
  ) {}

  // How long one chunk aims to take: short where each statement holds the event loop (SQLite).
  private get chunkTargetMs(): number {
    return this.dialect.checkpointsOnLoop ? CHUNK_TARGET_MS : OFF_LOOP_CHUNK_TARGET_MS;
  }

  // Runs a move of many sessions (chunk by chunk) as one registered with the store's BulkMoves.
  private many<T>(flowId: string, work: () => Promise<T>): Promise<T> {
    return this.follow ? this.follow.moves.run(flowId, work) : work();
  }

  // Runs one chunk's transaction. `sign` says what its count does to workflow_state's rows (-1 moved out, +1 back,
  // 0 for the trash alone); once it commits, the store's remembered count of the flow follows (SessionCounts.followChange).
  private async chunk(flowId: string, scope: SessionScope, sign: -1 | 0 | 1, run: (trx: Db) => Promise<number>): Promise<number> {
    const { count, before, after } = await this.db.transaction().execute(async (trx) => {
      // Nothing before the writes reads a table: a read would open the transaction as a reader, and SQLite fails an
      // upgrade to writer at once (SQLITE_BUSY) instead of waiting for another connection's write lock.
      const changes = this.follow ? await this.dialect.ownChanges(trx) : undefined;
      const count = await run(trx);
      const after = changes === undefined ? undefined : await this.dialect.changeToken(trx);
      return { count, after, before: after === undefined ? undefined : this.dialect.tokenBefore(after, changes!) };
    });
    this.follow?.counts.followChange(flowId, scope.owner, before, after, sign * count);
    this.follow?.moves.chunkCommitted();
    return count;
  }

  /** See `WorkflowStore.trashSessions()`. */
  async trashSessions(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}, options: TrashOptions = {}): Promise<number> {
    const keys = uniqueKeys(flowId, sessionIds);
    if (keys.length === 0) return 0;
    const batch = options.batch ?? randomUUID();
    const deletedAt = formatTimestamp(options.deletedAt ?? new Date());
    return runQuery(() =>
      this.db.transaction().execute(async (trx) => {
        const moved = await this.moveToTrash(trx, flowId, keys, scope, deletedAt, batch, unchangedCondition(options.unchanged));
        if (moved < keys.length) throw new SessionNotFoundError(flowId, missingId(flowId, sessionIds));
        return moved;
      }),
    );
  }

  /**
   * See `WorkflowStore.trashMatching()`. Chunks of {@link TRASH_CHUNK} keys, walked in key order from where the last
   * chunk ended, each moved in its own transaction: each row moves atomically, and a run that stops half way (a
   * crash, a 503) is resumed by asking again, which moves what still matches.
   */
  async trashMatching(flowId: string, match: Pick<TrashMatch, "search" | "tags">, scope: SessionScope = {}, options: TrashOptions = {}): Promise<number> {
    const batch = options.batch ?? randomUUID();
    const deletedAt = formatTimestamp(options.deletedAt ?? new Date());
    let after: string | undefined;
    let moved = 0;
    await this.many(flowId, () =>
      inChunks(this.chunkTargetMs, async (limit) => {
        const keys = await this.matchingKeys(WORKFLOW_STATE_TABLE, flowId, { search: match.search ?? "", tags: match.tags }, scope, after, limit);
        if (keys.length > 0) moved += await runQuery(() => this.chunk(flowId, scope, -1, (trx) => this.moveToTrash(trx, flowId, keys, scope, deletedAt, batch)));
        after = keys.at(-1);
        return keys.length;
      }),
    );
    return moved;
  }

  /** See `WorkflowStore.deleteSessions()`. */
  async deleteSessions(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}, options: Pick<TrashOptions, "unchanged"> = {}): Promise<number> {
    const keys = uniqueKeys(flowId, sessionIds);
    if (keys.length === 0) return 0;
    const extra = unchangedCondition(options.unchanged);
    return runQuery(() =>
      this.db.transaction().execute(async (trx) => {
        let deleted = 0;
        for (const chunk of keyChunks(keys)) {
          const where = sql<SqlBool>`flow_session_key IN (${sql.join(chunk)})${this.ownerAnd(scope)}${extra ? sql` AND ${extra}` : sql``}`;
          await recordSelected(trx, flowId, scope, "delete", WORKFLOW_STATE_TABLE, where);
          const result = await sql`DELETE FROM ${sql.table(WORKFLOW_STATE_TABLE)} WHERE ${where}`.execute(trx);
          deleted += Number(result.numAffectedRows ?? 0n);
        }
        if (deleted < keys.length) throw new SessionNotFoundError(flowId, missingId(flowId, sessionIds));
        await removeExtrasOfRemoved(trx, keys);
        return deleted;
      }),
    );
  }

  /** See `WorkflowStore.deleteMatching()`: as {@link trashMatching}, chunk by chunk, but for good. */
  async deleteMatching(flowId: string, match: Pick<TrashMatch, "search" | "tags">, scope: SessionScope = {}): Promise<number> {
    let after: string | undefined;
    let deleted = 0;
    await this.many(flowId, () =>
      inChunks(this.chunkTargetMs, async (limit) => {
        const keys = await this.matchingKeys(WORKFLOW_STATE_TABLE, flowId, { search: match.search ?? "", tags: match.tags }, scope, after, limit);
        if (keys.length > 0) {
          deleted += await runQuery(() =>
            this.chunk(flowId, scope, -1, async (trx) => {
              // The events first (a write, so the chunk still reads nothing before its writes), while the rows are there.
              const where = sql<SqlBool>`flow_session_key IN (${sql.join(keys)})${this.ownerAnd(scope)}`;
              await recordSelected(trx, flowId, scope, "delete", WORKFLOW_STATE_TABLE, where);
              const result = await sql`DELETE FROM ${sql.table(WORKFLOW_STATE_TABLE)} WHERE ${where}`.execute(trx);
              await removeExtrasOfRemoved(trx, keys);
              return Number(result.numAffectedRows ?? 0n);
            }),
          );
        }
        after = keys.at(-1);
        return keys.length;
      }),
    );
    return deleted;
  }

  /** Moves sessions idle since before `updatedBefore` into the trash: at most `limit`, in one transaction. */
  async trashIdle(flowId: string, updatedBefore: Date, limit: number, options: TrashOptions = {}): Promise<number> {
    checkFlowId(flowId);
    const cutoff = formatTimestamp(updatedBefore);
    const { rows } = await runQuery(() =>
      sql<{ flow_session_key: string }>`SELECT flow_session_key FROM ${sql.table(WORKFLOW_STATE_TABLE)}
        WHERE ${this.inFlow(flowId)} AND updated_at < ${cutoff} ORDER BY updated_at LIMIT ${limit}`.execute(this.db),
    );
    if (rows.length === 0) return 0;
    const batch = options.batch ?? randomUUID();
    const deletedAt = formatTimestamp(options.deletedAt ?? new Date());
    const keys = rows.map((row) => row.flow_session_key);
    return runQuery(() => this.db.transaction().execute((trx) => this.moveToTrash(trx, flowId, keys, {}, deletedAt, batch, sql`updated_at < ${cutoff}`)));
  }

  /** See `WorkflowStore.restoreSessions()`. */
  async restoreSessions(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<number> {
    const keys = uniqueKeys(flowId, sessionIds);
    if (keys.length === 0) return 0;
    return this.restoring(flowId, scope, async (trx) => {
      const restored = await this.moveBack(trx, flowId, keys, scope);
      if (restored < keys.length) throw new SessionNotFoundError(flowId, missingId(flowId, sessionIds));
      return restored;
    });
  }

  /**
   * See `WorkflowStore.restoreMatching()`. Checks first that no key of the match is taken again in
   * `workflow_state` (then it throws {@link RestoreConflictError} and restores nothing), then moves the rows back in
   * chunks of {@link TRASH_CHUNK}, one transaction each.
   */
  async restoreMatching(flowId: string, match: TrashMatch, scope: SessionScope = {}, onRestored?: (sessionIds: string[]) => void): Promise<number> {
    checkFlowId(flowId);
    const conflicts = await runQuery(() =>
      sql<{ flow_session_key: string }>`SELECT t.flow_session_key FROM ${sql.table(TRASH_TABLE)} t
        WHERE ${this.matchWhere(flowId, match, scope)}
        AND EXISTS (SELECT 1 FROM ${sql.table(WORKFLOW_STATE_TABLE)} w WHERE w.flow_session_key = t.flow_session_key) LIMIT 10`.execute(this.db),
    );
    if (conflicts.rows.length > 0) throw new RestoreConflictError(flowId, conflicts.rows.map((row) => row.flow_session_key.slice(flowId.length + 1)));
    let after: string | undefined;
    let restored = 0;
    await this.many(flowId, () =>
      inChunks(this.chunkTargetMs, async (limit) => {
        const keys = await this.matchingKeys(TRASH_TABLE, flowId, match, scope, after, limit);
        if (keys.length > 0) {
          restored += await this.restoring(flowId, scope, (trx) => this.moveBack(trx, flowId, keys, scope));
          onRestored?.(keys.map((key) => key.slice(flowId.length + 1)));
        }
        after = keys.at(-1);
        return keys.length;
      }),
    );
    return restored;
  }

  /** See `WorkflowStore.listTrash()`. */
  async listTrash(flowId: string, options: TrashWindowOptions, scope: SessionScope = {}): Promise<TrashWindow> {
    checkFlowId(flowId);
    const orderBy = options.orderBy ?? "deleted_at";
    const descending = options.descending ?? (orderBy === "deleted_at" || orderBy === "updated_at");
    const where = this.matchWhere(flowId, { search: options.search ?? "" }, scope);
    const limit = Math.max(1, Math.floor(options.limit));
    const order = orderBy === "deleted_at" ? sql`deleted_at` : this.dialect.listSort(orderBy);
    const direction = descending ? sql`DESC` : sql`ASC`;
    const nulls = this.dialect.indexNulls === "" ? sql`` : descending ? sql` NULLS LAST` : sql` NULLS FIRST`;
    // One snapshot for the count and the window, so they agree while others write.
    return runQuery(() =>
      this.db
        .transaction()
        .setIsolationLevel("repeatable read")
        .execute(async (trx) => {
          const counted = await sql<{ total: number | string }>`SELECT count(*) AS total FROM ${sql.table(TRASH_TABLE)} t WHERE ${where}`.execute(trx);
          const total = Number(counted.rows[0]?.total ?? 0);
          const asked = Math.floor(options.offset);
          const offset = asked < total ? asked : Math.max(0, total - limit);
          const { rows } = await sql<TrashRow>`SELECT t.flow_session_key, t.label, t.current_step, t.created_at, t.updated_at,
              ${this.dialect.byteLength(sql.ref("t.state_json"))} AS state_size, t.deleted_at, t.batch
            FROM ${sql.table(TRASH_TABLE)} t WHERE ${where}
            ORDER BY ${order} ${direction}${nulls}, ${this.dialect.keyColumn()} ${direction}
            LIMIT ${limit} OFFSET ${offset}`.execute(trx);
          return { sessions: rows.map((row) => toTrashed(flowId, row)), total, offset };
        }),
    );
  }

  /** The trashed session, or `undefined` when it is not in the trash (for the scope). */
  async getTrashed(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<TrashedSession | undefined> {
    const key = sessionKey(flowId, sessionId);
    const owner = checkedOwner(scope.owner);
    const { rows } = await runQuery(() =>
      sql<TrashRow>`SELECT flow_session_key, label, current_step, created_at, updated_at,
          ${this.dialect.byteLength(sql.ref("state_json"))} AS state_size, deleted_at, batch
        FROM ${sql.table(TRASH_TABLE)} WHERE flow_session_key = ${key}${owner === undefined ? sql`` : sql` AND owner = ${owner}`}`.execute(this.db),
    );
    return rows[0] && toTrashed(flowId, rows[0]);
  }

  /** See `WorkflowStore.purgeTrash()`. */
  async purgeTrash(flowId: string, options: PurgeTrashOptions = {}, scope: SessionScope = {}): Promise<number> {
    checkFlowId(flowId);
    const olderThan = options.olderThan && sql<SqlBool>`deleted_at < ${formatTimestamp(options.olderThan)}`;
    if (options.ids) {
      const keys = uniqueKeys(flowId, options.ids);
      if (keys.length === 0) return 0;
      return runQuery(() =>
        this.db.transaction().execute(async (trx) => {
          const purged: { flow_session_key: string }[] = [];
          for (const chunk of keyChunks(keys)) {
            const where = sql<SqlBool>`flow_session_key IN (${sql.join(chunk)})${this.ownerAnd(scope)}${olderThan ? sql` AND ${olderThan}` : sql``}`;
            await recordSelected(trx, flowId, scope, "purge", TRASH_TABLE, where);
            const result = await sql<{ flow_session_key: string }>`DELETE FROM ${sql.table(TRASH_TABLE)} WHERE ${where}
              RETURNING flow_session_key`.execute(trx);
            purged.push(...result.rows);
          }
          if (purged.length < keys.length) throw new SessionNotFoundError(flowId, missingId(flowId, options.ids!));
          await removeExtrasOfRemoved(trx, keys);
          return purged;
        }),
      ).then((rows) => {
        options.onPurged?.(rows.map((row) => row.flow_session_key.slice(flowId.length + 1)));
        return rows.length;
      });
    }
    const where = this.matchWhere(flowId, options, scope, olderThan);
    const purgeAtMost = async (limit: number) => {
      let keys: string[] = [];
      await runQuery(() =>
        this.chunk(flowId, scope, 0, async (trx) => {
          const result = await sql<{ flow_session_key: string; label: string | null }>`DELETE FROM ${sql.table(TRASH_TABLE)} WHERE flow_session_key IN (
              SELECT t.flow_session_key FROM ${sql.table(TRASH_TABLE)} t WHERE ${where} LIMIT ${limit})
            RETURNING flow_session_key, label`.execute(trx);
          keys = result.rows.map((row) => row.flow_session_key);
          // The rows are gone: their events come from what the delete returned, in one statement.
          await recordRows(trx, flowId, scope, "purge", result.rows);
          await removeExtrasOfRemoved(trx, keys);
          return keys.length;
        }),
      );
      if (keys.length > 0) options.onPurged?.(keys.map((key) => key.slice(flowId.length + 1)));
      return keys.length;
    };
    if (options.limit !== undefined) return purgeAtMost(Math.max(1, Math.floor(options.limit)));
    let purged = 0;
    await this.many(flowId, () =>
      inChunks(this.chunkTargetMs, async (limit) => {
        const count = await purgeAtMost(limit);
        purged += count;
        return count;
      }),
    );
    return purged;
  }

  // Copies the rows to the trash (a key already there is replaced by its newer deletion) and deletes them, in `trx`,
  // in statements of at most KEYS_PER_STATEMENT keys.
  private async moveToTrash(trx: Db, flowId: string, keys: readonly string[], scope: SessionScope, deletedAt: string, batch: string, extra?: RawBuilder<SqlBool>): Promise<number> {
    const updates = sql.join(
      [...SESSION_COLUMNS.slice(1), "deleted_at", "batch"].map((name) => sql`${sql.ref(name)} = excluded.${sql.ref(name)}`),
    );
    let moved = 0;
    for (const chunk of keyChunks(keys)) {
      const where = sql`flow_session_key IN (${sql.join(chunk)})${this.ownerAnd(scope)}${extra ? sql` AND ${extra}` : sql``}`;
      await sql`INSERT INTO ${sql.table(TRASH_TABLE)} (${columns}, deleted_at, batch)
          SELECT ${columns}, ${deletedAt}, ${batch} FROM ${sql.table(WORKFLOW_STATE_TABLE)} WHERE ${where}
          ON CONFLICT (flow_session_key) DO UPDATE SET ${updates}`.execute(trx);
      const deleted = await sql`DELETE FROM ${sql.table(WORKFLOW_STATE_TABLE)} WHERE ${where}`.execute(trx);
      moved += Number(deleted.numAffectedRows ?? 0n);
      // The rows this move put in the trash carry its batch: their events, in one statement.
      await recordSelected(trx, flowId, scope, "delete", TRASH_TABLE, sql<SqlBool>`${keyIn(chunk)}${this.ownerAnd(scope)} AND batch = ${batch}`);
    }
    return moved;
  }

  // Copies the rows back to workflow_state and deletes them from the trash, in `trx`, in statements of at most
  // KEYS_PER_STATEMENT keys; a taken key throws (rolling back).
  private async moveBack(trx: Db, flowId: string, keys: readonly string[], scope: SessionScope): Promise<number> {
    let restored = 0;
    for (const chunk of keyChunks(keys)) {
      const where = sql<SqlBool>`flow_session_key IN (${sql.join(chunk)})${this.ownerAnd(scope)}`;
      const inserted = await sql`INSERT INTO ${sql.table(WORKFLOW_STATE_TABLE)} (${columns})
          SELECT ${columns} FROM ${sql.table(TRASH_TABLE)} WHERE ${where}
          ON CONFLICT (flow_session_key) DO NOTHING`.execute(trx);
      const deleted = await sql`DELETE FROM ${sql.table(TRASH_TABLE)} WHERE ${where}`.execute(trx);
      const moved = Number(deleted.numAffectedRows ?? 0n);
      // A taken key: roll back, then name the taken ones (after the rollback, so the rows just copied do not count).
      if (Number(inserted.numAffectedRows ?? 0n) < moved) throw new TakenKeys(keys);
      await recordSelected(trx, flowId, scope, "restore", WORKFLOW_STATE_TABLE, where);
      restored += moved;
    }
    return restored;
  }

  // Runs a restore transaction; a TakenKeys from it becomes a RestoreConflictError naming the keys taken again.
  private async restoring(flowId: string, scope: SessionScope, run: (trx: Db) => Promise<number>): Promise<number> {
    try {
      return await runQuery(() => this.chunk(flowId, scope, 1, run));
    } catch (error) {
      if (!(error instanceof TakenKeys)) throw error;
      const taken: string[] = [];
      for (const chunk of keyChunks(error.keys)) {
        const { rows } = await runQuery(() =>
          sql<{ flow_session_key: string }>`SELECT flow_session_key FROM ${sql.table(WORKFLOW_STATE_TABLE)}
            WHERE flow_session_key IN (${sql.join(chunk)})`.execute(this.db),
        );
        taken.push(...rows.map((row) => row.flow_session_key));
      }
      throw new RestoreConflictError(flowId, taken.sort().map((key) => key.slice(flowId.length + 1)));
    }
  }



  private matchingKeys(table: string, flowId: string, match: TrashMatch, scope: SessionScope, after: string | undefined, limit: number): Promise<string[]> {
    return runQuery(() => matchingKeys(this.db, this.dialect, table, flowId, match, scope, after, limit));
  }

  private matchWhere(flowId: string, match: TrashMatch, scope: SessionScope, olderThan?: RawBuilder<SqlBool>): RawBuilder<SqlBool> {
    return matchWhere(this.dialect, flowId, match, scope, olderThan);
  }

  private inFlow(flowId: string): RawBuilder<SqlBool> {
    return inFlow(this.dialect, flowId);
  }

  private ownerAnd(scope: SessionScope): RawBuilder<unknown> {
    const owner = checkedOwner(scope.owner);
    return owner === undefined ? sql`` : sql` AND owner = ${owner}`;
  }
}

// Thrown inside a restore's transaction when a key is taken again, so that it rolls back.
class TakenKeys extends Error {
  constructor(readonly keys: readonly string[]) {
    super("A restored key is taken again in workflow_state.");
  }
}

/** A trash row: the summary's columns, and when and by which delete it was trashed. */
interface TrashRow extends SummaryRow {
  deleted_at: string | null;
  batch: string | null;
}

function toTrashed(flowId: string, row: TrashRow): TrashedSession {
  return { ...toSummary(flowId, row), deletedAt: parseTimestamp(row.deleted_at), batch: row.batch };
}

function uniqueKeys(flowId: string, sessionIds: readonly string[]): string[] {
  return [...new Set(sessionIds.map((id) => sessionKey(flowId, id)))];
}

// The id a 404 names when some of several were missing: the first one, since which is missing is not worth a query.
function missingId(flowId: string, sessionIds: readonly string[]): string {
  return sessionIds[0] ?? `${flowId}:`;
}

/** The condition that a row holds exactly the columns of `snapshot`; `undefined` without one. */
export function unchangedCondition(snapshot: SessionSnapshot | undefined): RawBuilder<SqlBool> | undefined {
  if (!snapshot) return undefined;
  const same = (column: string, value: string | null) => (value === null ? sql`${sql.ref(column)} IS NULL` : sql`${sql.ref(column)} = ${value}`);
  return sql<SqlBool>`${same("label", snapshot.label)} AND ${same("current_step", snapshot.currentStep)} AND ${same("updated_at", snapshot.updatedAt)} AND ${same("state_json", snapshot.state)}`;
}
