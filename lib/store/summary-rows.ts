import { sql, type Kysely, type SelectQueryBuilder } from "kysely";
import type { SqlDialect } from "./dialects/dialect.js";
import { checkFlowId } from "./session-keys.js";
import type { SessionSummary } from "./session-types.js";
import { parseTimestamp, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

/** A select on the table, of any columns. */
export type FlowQuery<O> = SelectQueryBuilder<WorkflowStateDatabase, typeof WORKFLOW_STATE_TABLE, O>;

/** The columns of a {@link SessionSummary}, as selected by {@link selectSummaries}. */
export interface SummaryRow {
  flow_session_key: string;
  label: string | null;
  current_step: string | null;
  created_at: string | null;
  updated_at: string | null;
  state_size: number | string | null;
}

/** The summary columns; with `withState`, `state_json` too (as `null` without it, so both have one row type). */
export function selectSummaries(db: Kysely<WorkflowStateDatabase>, dialect: SqlDialect, withState = false) {
  return db
    .selectFrom(WORKFLOW_STATE_TABLE)
    .select((eb) => [
      "flow_session_key",
      "label",
      "current_step",
      "created_at",
      "updated_at",
      dialect.byteLength(eb.ref("state_json")).as("state_size"),
      withState ? eb.ref("state_json").as("state_json") : sql<string | null>`NULL`.as("state_json"),
    ]);
}

/**
 * Restricts a query to one flow's rows by the exact flow part of the key (never LIKE): the same rows as the key
 * range `flowId:` ≤ key < `flowId;`, through the expression the list indexes lead with.
 */
export function whereFlow<O>(query: FlowQuery<O>, dialect: SqlDialect, flowId: string): FlowQuery<O> {
  checkFlowId(flowId);
  return query.where(dialect.flowPrefix(), "=", `${flowId}:`);
}

/** The summary of a row of `flowId`. */
export function toSummary(flowId: string, row: SummaryRow): SessionSummary {
  return {
    flowId,
    sessionId: row.flow_session_key.slice(flowId.length + 1),
    label: row.label,
    currentStep: row.current_step,
    createdAt: parseTimestamp(row.created_at),
    updatedAt: parseTimestamp(row.updated_at),
    stateSizeBytes: Number(row.state_size ?? 0),
  };
}

/** A copy of a summary that shares nothing a caller could change (its dates are copied too), for results remembered. */
export function copySummary(summary: SessionSummary): SessionSummary {
  return {
    ...summary,
    createdAt: summary.createdAt && new Date(summary.createdAt.getTime()),
    updatedAt: summary.updatedAt && new Date(summary.updatedAt.getTime()),
  };
}
