import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { InvalidInputError } from "../errors.js";
import { runQuery } from "./database-errors.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { checkText, sessionKey, whereOwner } from "./session-keys.js";
import type { CreateSessionOptions, SessionScope, SessionSummary } from "./session-types.js";
import { selectSummaries, toSummary } from "./summary-rows.js";
import { formatTimestamp, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";

/** A session's row as a whole: creating it, reading its metadata, labelling, handing over and deleting it. */
export class SessionRepository {
  constructor(
    private readonly db: Kysely<WorkflowStateDatabase>,
    private readonly dialect: SqlDialect,
  ) {}

  /** See `WorkflowStore.createSession()`. */
  async createSession(flowId: string, options: CreateSessionOptions = {}): Promise<string> {
    const sessionId = options.sessionId ?? randomUUID();
    if (options.label != null) checkText(options.label, "A label");
    if (options.owner != null) checkText(options.owner, "An owner");
    const now = formatTimestamp(new Date());
    await runQuery(() =>
      this.db
        .insertInto(WORKFLOW_STATE_TABLE)
        .values({
          flow_session_key: sessionKey(flowId, sessionId),
          current_step: null,
          state_json: "{}",
          created_at: now,
          updated_at: now,
          label: options.label ?? null,
          ...(options.owner != null ? { owner: options.owner } : {}),
        })
        .execute(),
    );
    return sessionId;
  }

  /** See `WorkflowStore.sessionExists()`. */
  async sessionExists(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<boolean> {
    const row = await runQuery(() =>
      whereOwner(this.db.selectFrom(WORKFLOW_STATE_TABLE).select("flow_session_key").where("flow_session_key", "=", sessionKey(flowId, sessionId)), scope)
        .executeTakeFirst(),
    );
    return row !== undefined;
  }

  /** See `WorkflowStore.getSessionSummary()`. */
  async getSessionSummary(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<SessionSummary | undefined> {
    const row = await runQuery(() =>
      whereOwner(selectSummaries(this.db, this.dialect).where("flow_session_key", "=", sessionKey(flowId, sessionId)), scope).executeTakeFirst(),
    );
    return row && toSummary(flowId, row);
  }

  /** See `WorkflowStore.setSessionLabel()`. */
  async setSessionLabel(flowId: string, sessionId: string, label: string | null, scope: SessionScope = {}): Promise<boolean> {
    if (label !== null) checkText(label, "A label");
    const result = await runQuery(() =>
      whereOwner(this.db.updateTable(WORKFLOW_STATE_TABLE).set({ label }).where("flow_session_key", "=", sessionKey(flowId, sessionId)), scope)
        .executeTakeFirst(),
    );
    return result.numUpdatedRows > 0n;
  }

  /** See `WorkflowStore.setSessionOwner()`. */
  async setSessionOwner(flowId: string, sessionId: string, owner: string | null): Promise<boolean> {
    if (owner !== null && (typeof owner !== "string" || owner === "")) {
      throw new InvalidInputError(`An owner must be a non-empty string or null; got ${JSON.stringify(owner)}.`);
    }
    if (owner !== null) checkText(owner, "An owner");
    const result = await runQuery(() =>
      this.db.updateTable(WORKFLOW_STATE_TABLE).set({ owner }).where("flow_session_key", "=", sessionKey(flowId, sessionId)).executeTakeFirst(),
    );
    return result.numUpdatedRows > 0n;
  }

  /** See `WorkflowStore.deleteSession()`. */
  async deleteSession(flowId: string, sessionId: string, scope: SessionScope = {}): Promise<boolean> {
    const result = await runQuery(() =>
      whereOwner(this.db.deleteFrom(WORKFLOW_STATE_TABLE).where("flow_session_key", "=", sessionKey(flowId, sessionId)), scope).executeTakeFirst(),
    );
    return result.numDeletedRows > 0n;
  }
}
