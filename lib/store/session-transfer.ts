import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { InvalidInputError, SessionExistsError } from "../errors.js";
import { runQuery } from "./database-errors.js";
import type { SqlDialect } from "./dialects/dialect.js";
import { keyChunks, KEYS_PER_STATEMENT } from "./key-chunks.js";
import { prefixUpperBound, searchPredicates } from "./search-predicates.js";
import { tagWalkFilter } from "./tag-matches.js";
import { checkedOwner, checkText, sessionKey, whereOwner } from "./session-keys.js";
import type { SessionScope, SessionSummary } from "./session-types.js";
import { isStateObjectText } from "./state-json.js";
import { selectSummaries, toSummary, whereFlow } from "./summary-rows.js";
import { formatTimestamp, WORKFLOW_STATE_TABLE, type WorkflowStateDatabase } from "./workflow-state-table.js";
import { keyIn, recordSelected } from "./activity-log.js";

/** Rows read per query while exporting: the most a running export holds, whatever the flow's size. */
export const EXPORT_BATCH_ROWS = 500;

/** Rows per INSERT while importing (7 values each, far below either database's limit on bound parameters). */
const IMPORT_BATCH_ROWS = 500;

/** Which sessions `WorkflowStore.exportSessions()` reads: the given ids, or every session that matches a search. */
export type ExportSelection =
  | {
      /** These sessions, in key order; ids that are not sessions of the flow (for the scope) are left out. */
      sessionIds: readonly string[];
      search?: never;
    }
  | {
      /**
       * Every session whose stored label starts with this text (ignoring ASCII case) or whose id starts with it, as
       * the list's search matches; empty or absent for every session of the flow.
       */
      search?: string;
      /** Only those that carry every one of these tags (as `normalizeTags()` stores them). @default none */
      tags?: readonly string[] | undefined;
      sessionIds?: never;
    };

/** One session as `WorkflowStore.exportSessions()` reads it: its metadata and its state text as stored. */
export interface ExportedSession {
  sessionId: string;
  label: string | null;
  currentStep: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  /** The stored `state_json`, byte for byte (`"{}"` when the row holds none). */
  state: string;
}

/** One session for `WorkflowStore.importSessions()`. */
export interface ImportedSession {
  /** The id in the file: kept with `keepIds`, else replaced by a new one. */
  sessionId: string;
  label?: string | null | undefined;
  currentStep?: string | null | undefined;
  /** @default now */
  createdAt?: Date | null | undefined;
  /** @default now */
  updatedAt?: Date | null | undefined;
  /** The state text, stored as is: one JSON object in the dialect of Python's `json` module. */
  state: string;
}

/** Options of `WorkflowStore.importSessions()`. */
export interface ImportSessionsOptions {
  /**
   * Keeps the sessions' ids; an id the flow already has (whoever owns it) fails the whole import with
   * `SessionExistsError`.
   * @default false: every session gets a new id
   */
  keepIds?: boolean;
}

/** Reads sessions out in bounded batches by key, and writes a set of sessions in one transaction. */
export class SessionTransfer {
  constructor(
    private readonly db: Kysely<WorkflowStateDatabase>,
    private readonly dialect: SqlDialect,
  ) {}

  /** See `WorkflowStore.exportSessions()`. */
  async *exportSessions(flowId: string, selection: ExportSelection, scope: SessionScope = {}): AsyncGenerator<ExportedSession, void, undefined> {
    if (selection.sessionIds !== undefined) {
      const keys = [...new Set(selection.sessionIds.map((id) => sessionKey(flowId, id)))].sort(compareKeys);
      for (const chunk of keyChunks(keys, Math.min(EXPORT_BATCH_ROWS, KEYS_PER_STATEMENT))) {
        const rows = await runQuery(() =>
          whereOwner(selectSummaries(this.db, this.dialect, true).where("flow_session_key", "in", chunk), scope)
            .orderBy(this.dialect.keyColumn())
            .execute(),
        );
        for (const row of rows) yield exported(flowId, row);
      }
      return;
    }
    const key = this.dialect.keyColumn();
    const first = `${flowId}:`;
    const end = prefixUpperBound(first)!;
    const search = selection.search ?? "";
    const predicates = search === "" ? undefined : searchPredicates(this.dialect, flowId, search);
    const tags = selection.tags ?? [];
    let after: string | undefined;
    for (;;) {
      const from = after;
      const rows = await runQuery(() => {
        let query = whereOwner(selectSummaries(this.db, this.dialect, true), scope)
          .where(key, from === undefined ? ">=" : ">", from ?? first)
          .where(key, "<", end);
        if (predicates) query = query.where((eb) => eb.or([predicates.ids.walk(eb), predicates.labels.walk(eb)]));
        if (tags.length > 0) query = query.where(tagWalkFilter(this.dialect, { flowId, owner: scope.owner, tags, search: "" }));
        return query.orderBy(key).limit(EXPORT_BATCH_ROWS).execute();
      });
      for (const row of rows) yield exported(flowId, row);
      if (rows.length < EXPORT_BATCH_ROWS) return;
      after = rows.at(-1)!.flow_session_key;
    }
  }

  /** See `WorkflowStore.importSessions()`. */
  async importSessions(flowId: string, sessions: readonly ImportedSession[], { keepIds = false }: ImportSessionsOptions = {}, scope: SessionScope = {}): Promise<SessionSummary[]> {
    const owner = checkedOwner(scope.owner);
    const now = formatTimestamp(new Date());
    const seen = new Set<string>();
    const rows = sessions.map((session, index) => {
      const where = `Session ${index + 1}`;
      sessionKey(flowId, session.sessionId);
      if (seen.has(session.sessionId)) throw new InvalidInputError(`${where} repeats the session id "${session.sessionId}": each id may appear once.`);
      seen.add(session.sessionId);
      const sessionId = keepIds ? session.sessionId : randomUUID();
      if (session.label != null) checkText(session.label, `${where}'s label`);
      if (session.currentStep != null) checkText(session.currentStep, `${where}'s current step`);
      if (typeof session.state !== "string" || !isStateObjectText(session.state)) {
        throw new InvalidInputError(`${where}'s state is not one JSON object (in the dialect of Python's json module).`);
      }
      checkText(session.state, `${where}'s state`);
      return {
        flow_session_key: sessionKey(flowId, sessionId),
        current_step: session.currentStep ?? null,
        state_json: session.state,
        created_at: timestampOf(session.createdAt, now, `${where}'s createdAt`),
        updated_at: timestampOf(session.updatedAt, now, `${where}'s updatedAt`),
        label: session.label ?? null,
        owner: owner ?? null,
      };
    });
    if (rows.length === 0) return [];
    const keys = rows.map((row) => row.flow_session_key);
    await runQuery(() =>
      this.db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += IMPORT_BATCH_ROWS) {
          const batch = rows.slice(i, i + IMPORT_BATCH_ROWS);
          const batchKeys = batch.map((row) => row.flow_session_key);
          const taken = await trx.selectFrom(WORKFLOW_STATE_TABLE).select("flow_session_key").where("flow_session_key", "in", batchKeys).execute();
          const exists = (found: readonly string[]) => new SessionExistsError(flowId, found.map((key) => key.slice(flowId.length + 1)));
          // Throwing rolls back every batch before this one.
          if (taken.length > 0) throw exists(taken.map((row) => row.flow_session_key));
          const result = await trx
            .insertInto(WORKFLOW_STATE_TABLE)
            .values(batch)
            .onConflict((oc) => oc.column("flow_session_key").doNothing())
            .executeTakeFirst();
          // Another writer took an id in between (on PostgreSQL): name the batch's, since which one is unknown.
          if (Number(result.numInsertedOrUpdatedRows ?? 0n) !== batch.length) throw exists(batchKeys);
          await recordSelected(trx, flowId, scope, "import", WORKFLOW_STATE_TABLE, keyIn(batchKeys));
        }
      }),
    );
    const summaries = new Map<string, SessionSummary>();
    for (const chunk of keyChunks(keys)) {
      const found = await runQuery(() => whereFlow(selectSummaries(this.db, this.dialect), this.dialect, flowId).where("flow_session_key", "in", chunk).execute());
      for (const row of found) summaries.set(row.flow_session_key, toSummary(flowId, row));
    }
    // In the file's order; a session deleted since the commit is left out.
    return keys.flatMap((key) => summaries.get(key) ?? []);
  }
}

function exported(flowId: string, row: Parameters<typeof toSummary>[1] & { state_json: string | null }): ExportedSession {
  const { sessionId, label, currentStep, createdAt, updatedAt } = toSummary(flowId, row);
  return { sessionId, label, currentStep, createdAt, updatedAt, state: row.state_json ?? "{}" };
}

function timestampOf(date: Date | null | undefined, now: string, what: string): string {
  if (date == null) return now;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new InvalidInputError(`${what} is not a valid time.`);
  return formatTimestamp(date);
}

/** Byte (code point) order, as the key index holds the keys. */
function compareKeys(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}
