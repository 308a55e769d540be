import { sql, type Kysely } from "kysely";
import { runQuery } from "./database-errors.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { compareText } from "./search-predicates.js";
import { WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

/** One flow of the table and how many sessions it holds. */
export interface FlowCount {
  /** The flow part of the keys, before their first `:`. */
  flowId: string;
  /** The number of sessions of the flow, of every owner. */
  sessions: number;
}

/**
 * Every flow that has sessions, with its session count, in byte order of the flow id. One grouped read of the key
 * expression the list indexes lead with; keys without a `:` (or with an empty flow part) are not a flow's and are
 * left out. It reads every key once, so it is for an overview page, not a per-request query.
 */
export async function listFlows(db: Kysely<WorkflowStateDatabase>, dialect: SqlDialect): Promise<FlowCount[]> {
  const prefix = dialect.flowPrefix();
  const rows = await runQuery(() =>
    db
      .selectFrom(WORKFLOW_STATE_TABLE)
      .select([prefix.as("prefix"), sql<number | string>`count(*)`.as("sessions")])
      .groupBy(prefix)
      .execute(),
  );
  return rows
    .filter((row): row is { prefix: string; sessions: number | string } => typeof row.prefix === "string" && row.prefix.length > 1 && row.prefix.endsWith(":"))
    .map((row) => ({ flowId: row.prefix.slice(0, -1), sessions: Number(row.sessions) }))
    .sort((a, b) => compareText(a.flowId, b.flowId));
}
