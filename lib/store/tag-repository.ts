import { sql, type Kysely } from "kysely";
import { sideTableQuery } from "./side-tables.js";
import { LRUCache } from "lru-cache";
import type { SqlDialect } from "./dialects/dialect.js";
import { SessionNotFoundError } from "../errors.js";
import { keyChunks } from "./key-chunks.js";
import { keyIn, recordRows, recordSelected } from "./activity-log.js";
import { CHUNK_TARGET_MS, inChunks, matchingKeys, OFF_LOOP_CHUNK_TARGET_MS } from "./matching-walk.js";
import { checkedOwner, checkFlowId, sessionKey } from "./session-keys.js";
import type { SessionScope, TagCount } from "./session-types.js";
import { MAX_TAGS, normalizeTag, normalizeTags } from "./tag-names.js";
import { TAGS_TABLE, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";
import { changeTokenOf, TokenCache } from "./token-cache.js";
import { tokenAt, type ReadPoint } from "./read-point.js";

type Db = Kysely<WorkflowStateDatabase>;

export type { TagCount };

/** The sessions a change of one tag acts on: these ids (all of them, or nothing changes), or every match of a search (and tags). */
export type TagTarget = { ids: readonly string[] } | { search: string; tags?: readonly string[] | undefined };

/** What adding or removing one tag on many sessions did. */
export interface TagChange {
  /** The tag, as stored (see `normalizeTag()`). */
  tag: string;
  /** The sessions that gained it (an add) or lost it (a remove). */
  changed: number;
  /** The sessions an add left as they were because they carried {@link MAX_TAGS} tags already. */
  full: number;
}

// Tags in code point order, as normalizeTags() gives them (the database's ORDER BY may follow a collation).
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The most tags {@link TagRepository.tagCounts} returns: 50, the first in code point order. */
export const MAX_LISTED_TAGS = 50;

/** How far {@link TagRepository.tagCounts} counts each tag: past 1,000 it says `1,000+` (`TagCount.capped`). */
export const TAG_COUNT_BOUND = 1000;

/** Queries of the tags' table: a read-only file from before the tags reads as one without tags. */
export const runTagQuery = sideTableQuery(TAGS_TABLE, "tags");

/**
 * The tags, `workflow_state_tags`: one row per session and tag, with the session's flow and owner. A session's tags
 * are read by key (the rows shown); one owner's tags of one flow through `(flow_id, owner, tag)`.
 */
export class TagRepository {
  // The last counts of each flow and owner, by the change token they were read at (SQLite; PostgreSQL has none).
  private readonly counted = new LRUCache<string, { token: string; counts: Promise<TagCount[]> }>({ max: 64 });
  // The tags of the rows of a window, by the change token where reading it costs no round trip (SQLite) or at a read point.
  private readonly rowTags: TokenCache<Map<string, string[]>>;

  constructor(
    private readonly db: Db,
    private readonly dialect: SqlDialect,
  ) {
    this.rowTags = new TokenCache(db, changeTokenOf(db, dialect), { max: 64, readsToken: dialect.localChangeToken });
  }

  /** See `WorkflowStore.setTags()`. */
  async setTags(flowId: string, sessionId: string, tags: readonly unknown[], scope: SessionScope = {}): Promise<string[]> {
    const key = sessionKey(flowId, sessionId);
    const owner = checkedOwner(scope.owner);
    const wanted = normalizeTags(tags);
    // The remembered counts are forgotten once the change has committed (PostgreSQL's token would be late).
    return this.forgettingCounts(() =>
      runTagQuery(() =>
      this.db.transaction().execute(async (trx) => {
        let found = trx.selectFrom(WORKFLOW_STATE_TABLE).select("owner").where("flow_session_key", "=", key);
        if (owner !== undefined) found = found.where("owner", "=", owner);
        // On PostgreSQL the session is locked, as a change of one tag on many sessions locks them (see changeIn()).
        if (this.dialect.name === "postgres") found = found.forUpdate();
        const row = await found.executeTakeFirst();
        if (!row) throw new SessionNotFoundError(flowId, sessionId);
        const before = (await trx.selectFrom(TAGS_TABLE).select("tag").where("flow_session_key", "=", key).execute()).map((r) => r.tag).sort(byCodePoint);
        await trx.deleteFrom(TAGS_TABLE).where("flow_session_key", "=", key).execute();
        if (wanted.length > 0) {
          await trx
            .insertInto(TAGS_TABLE)
            .values(wanted.map((tag) => ({ flow_session_key: key, flow_id: flowId, owner: row.owner ?? "", tag })))
            .execute();
        }
        // A change of the set is an event of the activity log (with scope.activity), its tags before and after.
        if ([...before].sort().join("\n") !== [...wanted].sort().join("\n")) {
          await recordSelected(trx, flowId, scope, "tag", WORKFLOW_STATE_TABLE, keyIn([key]), { before: before.join(", "), after: wanted.join(", ") });
        }
        return wanted;
      }),
      ),
    );
  }

  /**
   * See `WorkflowStore.addTag()` and `removeTag()`. Ids change in one transaction (a missing one changes nothing and
   * throws `SessionNotFoundError`); every match of a search, in key order, in chunks of one short transaction each,
   * as a move of all matching sessions runs (see `inChunks()`).
   */
  async changeTag(flowId: string, op: "add" | "remove", rawTag: unknown, target: TagTarget, scope: SessionScope = {}): Promise<TagChange> {
    const tag = normalizeTag(rawTag);
    checkedOwner(scope.owner);
    const total = { tag, changed: 0, full: 0 };
    return this.forgettingCounts(() => this.changeTagIn(flowId, op, tag, target, scope, total));
  }

  private async changeTagIn(flowId: string, op: "add" | "remove", tag: string, target: TagTarget, scope: SessionScope, total: TagChange): Promise<TagChange> {
    const count = (done: { changed: number; full: number }) => {
      total.changed += done.changed;
      total.full += done.full;
    };
    if ("ids" in target) {
      const keys = [...new Set(target.ids.map((id) => sessionKey(flowId, id)))];
      if (keys.length === 0) return total;
      await runTagQuery(() =>
        this.db.transaction().execute(async (trx) => {
          for (const chunk of keyChunks(keys)) {
            const done = await this.changeIn(trx, flowId, op, tag, chunk, scope);
            const missing = chunk.find((key) => !done.keys.has(key));
            if (missing !== undefined) throw new SessionNotFoundError(flowId, missing.slice(flowId.length + 1));
            count(done);
          }
        }),
      );
      return total;
    }
    let after: string | undefined;
    await inChunks(this.dialect.checkpointsOnLoop ? CHUNK_TARGET_MS : OFF_LOOP_CHUNK_TARGET_MS, async (limit) => {
      const keys = await runTagQuery(() => matchingKeys(this.db, this.dialect, WORKFLOW_STATE_TABLE, flowId, { search: target.search, tags: target.tags }, scope, after, limit));
      if (keys.length > 0) count(await runTagQuery(() => this.db.transaction().execute((trx) => this.changeIn(trx, flowId, op, tag, keys, scope))));
      after = keys.at(-1);
      return keys.length;
    });
    return total;
  }

  // One chunk of a tag change, in `trx`: the write first (on SQLite a transaction that reads first fails to become a
  // writer at once when another connection writes), then the sessions and their tags, for the count and the events.
  private async changeIn(trx: Db, flowId: string, op: "add" | "remove", tag: string, keys: readonly string[], scope: SessionScope) {
    const owner = checkedOwner(scope.owner);
    // On PostgreSQL the sessions are locked first, so two changes at once cannot both find room for a 20th tag.
    if (this.dialect.name === "postgres") await sql`SELECT 1 FROM ${sql.table(WORKFLOW_STATE_TABLE)} WHERE flow_session_key IN (${sql.join(keys)}) FOR UPDATE`.execute(trx);
    const inKeys = (alias: string) => sql`${sql.ref(`${alias}.flow_session_key`)} IN (${sql.join(keys)})${owner === undefined ? sql`` : sql` AND ${sql.ref(`${alias}.owner`)} = ${owner}`}`;
    const { rows: written } =
      op === "add"
        ? await sql<{ flow_session_key: string }>`INSERT INTO ${sql.table(TAGS_TABLE)} (flow_session_key, flow_id, owner, tag)
            SELECT s.flow_session_key, ${flowId}, COALESCE(s.owner, ''), ${tag} FROM ${sql.table(WORKFLOW_STATE_TABLE)} s
            WHERE ${inKeys("s")}
              AND NOT EXISTS (SELECT 1 FROM ${sql.table(TAGS_TABLE)} g WHERE g.flow_session_key = s.flow_session_key AND g.tag = ${tag})
              AND (SELECT count(*) FROM ${sql.table(TAGS_TABLE)} g WHERE g.flow_session_key = s.flow_session_key) < ${MAX_TAGS}
            ON CONFLICT DO NOTHING
            RETURNING flow_session_key`.execute(trx)
        : await sql<{ flow_session_key: string }>`DELETE FROM ${sql.table(TAGS_TABLE)}
            WHERE tag = ${tag} AND flow_session_key IN (SELECT s.flow_session_key FROM ${sql.table(WORKFLOW_STATE_TABLE)} s WHERE ${inKeys("s")})
            RETURNING flow_session_key`.execute(trx);
    const changed = new Set(written.map((row) => row.flow_session_key));
    const { rows: found } = await sql<{ flow_session_key: string; label: string | null }>`SELECT s.flow_session_key, s.label
      FROM ${sql.table(WORKFLOW_STATE_TABLE)} s WHERE ${inKeys("s")}`.execute(trx);
    const tagsOf = new Map<string, string[]>();
    for (const chunk of keyChunks(found.map((row) => row.flow_session_key))) {
      const rows = await trx.selectFrom(TAGS_TABLE).select(["flow_session_key", "tag"]).where("flow_session_key", "in", chunk).orderBy("flow_session_key").orderBy("tag").execute();
      for (const row of rows) tagsOf.set(row.flow_session_key, [...(tagsOf.get(row.flow_session_key) ?? []), row.tag]);
    }
    const full = op === "add" ? found.filter((row) => !changed.has(row.flow_session_key) && !(tagsOf.get(row.flow_session_key) ?? []).includes(tag)).length : 0;
    // Each session's event: its set before and after, as setTags() records them.
    const events = found
      .filter((row) => changed.has(row.flow_session_key))
      .map((row) => {
        const now = [...(tagsOf.get(row.flow_session_key) ?? [])].sort(byCodePoint);
        const before = op === "add" ? now.filter((t) => t !== tag) : [...now, tag].sort(byCodePoint);
        return { flow_session_key: row.flow_session_key, label: row.label, before: before.join(", "), after: now.join(", ") };
      });
    await recordRows(trx, flowId, scope, "tag", events);
    return { changed: changed.size, full, keys: new Set(found.map((row) => row.flow_session_key)) };
  }

  /** See `WorkflowStore.getTags()`. */
  async getTags(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<Map<string, string[]>> {
    const owner = checkedOwner(scope.owner);
    const keys = [...new Set(sessionIds.map((id) => sessionKey(flowId, id)))];
    // Only a window's worth is remembered: a bulk action's thousands of ids are read once.
    if (keys.length > REMEMBERED_TAG_ROWS || !(this.dialect.localChangeToken || scope.readPoint)) return this.readTags(flowId, keys, owner);
    return this.rowTags.get(JSON.stringify([flowId, owner ?? null, keys]), () => this.readTags(flowId, keys, owner), copyTags, undefined, scope.readPoint);
  }

  private async readTags(flowId: string, keys: readonly string[], owner: string | undefined): Promise<Map<string, string[]>> {
    const tags = new Map<string, string[]>();
    for (const chunk of keyChunks(keys)) {
      let query = this.db.selectFrom(TAGS_TABLE).select(["flow_session_key", "tag"]).where("flow_session_key", "in", chunk);
      if (owner !== undefined) query = query.where("owner", "=", owner);
      const rows = await runTagQuery(() => query.orderBy("flow_session_key").orderBy("tag").execute(), () => []);
      for (const row of rows) {
        const id = row.flow_session_key.slice(flowId.length + 1);
        const list = tags.get(id);
        if (list) list.push(row.tag);
        else tags.set(id, [row.tag]);
      }
    }
    return tags;
  }

  /** See `WorkflowStore.tagCounts()`. */
  async tagCounts(flowId: string, scope: SessionScope = {}): Promise<TagCount[]> {
    checkFlowId(flowId);
    const owner = checkedOwner(scope.owner);
    const key = JSON.stringify([flowId, owner ?? null]);
    const token = await runTagQuery(() => this.countsToken(flowId, owner, scope.readPoint));
    const cached = this.counted.get(key);
    if (token !== undefined && cached?.token === token) return cached.counts;
    // Remembered while under way too, so the list's chips and a filter of several tags (which orders its tags by
    // these counts, in the same request) count once.
    const counts = runTagQuery(() => this.countTags(flowId, owner), () => []);
    if (token !== undefined) {
      const entry = { token, counts };
      this.counted.set(key, entry);
      counts.catch(() => this.counted.get(key) === entry && this.counted.delete(key));
    }
    return counts;
  }

  /** Forgets the remembered counts: a change was heard that the token may not show yet (see `ChangeWatch`). */
  forgetCounts(): void {
    this.counted.clear();
  }

  // Runs a change of tags, then forgets the remembered counts (after its commit, so none read meanwhile is kept).
  private async forgettingCounts<T>(change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } finally {
      this.counted.clear();
    }
  }

  // What the remembered counts are checked against: the change token (SQLite's data_version and total_changes(),
  // PostgreSQL's log position). Where there is none (PostgreSQL over unlogged tables), its statistics' token, a second
  // or so late for other connections' writes, with the flow's kept count, which a create, delete or trash move changes
  // in its own transaction; this store's own tag changes forget the counts at once, and so does every change the live
  // updates hear (another instance's, whose statistics this backend may not see yet).
  private async countsToken(flowId: string, owner: string | undefined, at: ReadPoint | undefined): Promise<string | undefined> {
    const point = tokenAt(at, this.db);
    const exact = point ? point.token : await this.dialect.changeToken(this.db);
    if (exact !== undefined) return exact;
    const [stats, kept] = await Promise.all([this.dialect.statsToken(this.db), this.dialect.keptCount(this.db, `${flowId}:`, owner)]);
    return stats === undefined || kept === undefined ? undefined : `${stats}.${kept}`;
  }

  // The owner's distinct tags, each by one seek of the tags' index past the one before, then each counted up to the
  // bound (its index range, each session checked by key): the cost is bounded by the tags, never the sessions.
  private async countTags(flowId: string, owner: string | undefined): Promise<TagCount[]> {
    const scoped = <Q extends { where(column: "owner", op: "=", value: string): Q }>(query: Q) => (owner === undefined ? query : query.where("owner", "=", owner));
    const tags: string[] = [];
    while (tags.length < MAX_LISTED_TAGS) {
      let next = scoped(this.db.selectFrom(TAGS_TABLE).select((eb) => eb.fn.min<string | null>("tag").as("tag")).where("flow_id", "=", flowId));
      if (tags.length > 0) next = next.where("tag", ">", tags.at(-1)!);
      const row = await next.executeTakeFirst();
      if (!row || row.tag === null) break;
      tags.push(row.tag);
    }
    const counts: TagCount[] = [];
    for (const tag of tags) {
      const live = scoped(this.db.selectFrom(TAGS_TABLE).select(sql<number>`1`.as("one")).where("flow_id", "=", flowId).where("tag", "=", tag))
        .where((eb) =>
          eb.exists(
            eb.selectFrom(WORKFLOW_STATE_TABLE).select(sql<number>`1`.as("one")).whereRef(`${WORKFLOW_STATE_TABLE}.flow_session_key`, "=", `${TAGS_TABLE}.flow_session_key`),
          ),
        )
        .limit(TAG_COUNT_BOUND + 1);
      const row = await this.db.selectFrom(live.as("live")).select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
      const n = Number(row.n);
      if (n > 0) counts.push(n > TAG_COUNT_BOUND ? { tag, sessions: TAG_COUNT_BOUND, capped: true } : { tag, sessions: n });
    }
    return counts;
  }

}

/** The most rows whose tags one read may remember (a window is 50). */
const REMEMBERED_TAG_ROWS = 500;

const copyTags = (tags: Map<string, string[]>) => new Map([...tags].map(([id, list]) => [id, [...list]]));
