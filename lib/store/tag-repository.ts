import { sql, type Kysely } from "kysely";
import { sideTableQuery } from "./side-tables.js";
import { LRUCache } from "lru-cache";
import type { SqlDialect } from "./dialects/dialect.js";
import { SessionNotFoundError } from "../errors.js";
import { keyChunks } from "./key-chunks.js";
import { keyIn, recordSelected } from "./activity-log.js";
import { checkedOwner, checkFlowId, sessionKey } from "./session-keys.js";
import type { SessionScope, TagCount } from "./session-types.js";
import { normalizeTags } from "./tag-names.js";
import { TAGS_TABLE, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

type Db = Kysely<WorkflowStateDatabase>;

export type { TagCount };

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
  private readonly counted = new LRUCache<string, { token: string; counts: TagCount[] }>({ max: 64 });

  constructor(
    private readonly db: Db,
    private readonly dialect: SqlDialect,
  ) {}

  /** See `WorkflowStore.setTags()`. */
  async setTags(flowId: string, sessionId: string, tags: readonly unknown[], scope: SessionScope = {}): Promise<string[]> {
    const key = sessionKey(flowId, sessionId);
    const owner = checkedOwner(scope.owner);
    const wanted = normalizeTags(tags);
    return runTagQuery(() =>
      this.db.transaction().execute(async (trx) => {
        let found = trx.selectFrom(WORKFLOW_STATE_TABLE).select("owner").where("flow_session_key", "=", key);
        if (owner !== undefined) found = found.where("owner", "=", owner);
        const row = await found.executeTakeFirst();
        if (!row) throw new SessionNotFoundError(flowId, sessionId);
        const before = (await trx.selectFrom(TAGS_TABLE).select("tag").where("flow_session_key", "=", key).orderBy("tag").execute()).map((r) => r.tag);
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
    );
  }

  /** See `WorkflowStore.getTags()`. */
  async getTags(flowId: string, sessionIds: readonly string[], scope: SessionScope = {}): Promise<Map<string, string[]>> {
    const owner = checkedOwner(scope.owner);
    const keys = [...new Set(sessionIds.map((id) => sessionKey(flowId, id)))];
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
    const token = await runTagQuery(() => this.dialect.changeToken(this.db));
    const cached = this.counted.get(key);
    if (token !== undefined && cached?.token === token) return cached.counts;
    const counts = await runTagQuery(() => this.countTags(flowId, owner), () => []);
    if (token !== undefined) this.counted.set(key, { token, counts });
    return counts;
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
