import { randomUUID } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { SessionManagerLogger } from "../options.js";
import type { SessionScope, TrashedSession, TrashListItem, TrashPage, TrashQuery } from "../session-types.js";
import { TRASH_CHUNK, type WorkflowStore } from "../store/workflow-store.js";
import { defaultLabel } from "./labels.js";

/** Which sessions an action of many acts on: exactly these ids, or every one that matches a search (`""`: all). */
export type SessionTarget = { ids: readonly string[] } | { search: string };

/** Which trashed sessions a restore or purge acts on: ids, every match of a search, or the rows of one delete. */
export type TrashTarget = SessionTarget | { batch: string };

/** What a delete did. */
export interface DeleteResult {
  /** How many sessions it deleted. */
  count: number;
  /** True when they were deleted for good (`trash: false`); otherwise they are in the trash. */
  permanent: boolean;
  /** The delete's id, which every row it moved carries: `restore({ batch })` undoes it. */
  batch: string;
  /** The session that should be active now: by the active-session rule, when the active one was deleted. */
  nextActive: string | undefined;
}

/** What {@link TrashService} needs: the store, the flow, the resolved trash options, the step titles and the logger. */
export interface TrashServiceOptions {
  store: WorkflowStore;
  flowId: string;
  /** Days a trashed session is kept; `false` for permanent delete. */
  trashKeepDays: number | false;
  /** Days after which an idle session is moved to the trash; `undefined` for never. */
  expireIdleAfterDays: number | undefined;
  stepTitle: (stepId: string) => string;
  logger: SessionManagerLogger;
}

/** The least time between two runs of the lazy purge and idle expiry: one minute. */
export const MAINTENANCE_INTERVAL_MS = 60_000;

/** The most rows one batch of the lazy purge or idle expiry touches, in one statement. */
export const MAINTENANCE_BATCH = TRASH_CHUNK;

const DAY_MS = 86_400_000;

/**
 * The trash's rules: delete (into the trash, or for good with `trash: false`) with the active-session rule,
 * restore, purge, the trash's list, and the lazy purge and idle expiry. One method per action, each taking its
 * target and the caller's scope; knows nothing of HTTP.
 */
export class TrashService {
  private lastMaintenance = -Infinity;
  private maintenance: Promise<void> | undefined;

  constructor(private readonly options: TrashServiceOptions) {}

  /** True when delete moves sessions to the trash (the `trash` option is not `false`). */
  get enabled(): boolean {
    return this.options.trashKeepDays !== false;
  }

  /**
   * Deletes the target's sessions: into the trash, or for good with `trash: false`. Ids are all or nothing
   * (`SessionNotFoundError` when one is missing or another owner's); a search is acted on in chunks. When the active
   * session is among them, the most recently updated remaining session becomes active, or a fresh one is created.
   */
  async delete(target: SessionTarget, activeSessionId: string | undefined, scope: SessionScope = {}): Promise<DeleteResult> {
    const { store, flowId } = this.options;
    const batch = randomUUID();
    const permanent = !this.enabled;
    let count: number;
    if ("ids" in target) {
      count = permanent ? await store.deleteSessions(flowId, target.ids, scope) : await store.trashSessions(flowId, target.ids, scope, { batch });
    } else {
      count = permanent
        ? await store.deleteMatching(flowId, { search: target.search }, scope)
        : await store.trashMatching(flowId, { search: target.search }, scope, { batch });
    }
    return { count, permanent, batch, nextActive: await this.nextActive(activeSessionId, scope) };
  }

  /**
   * Moves the target's trashed sessions back, byte for byte. Never changes the active session. Throws
   * `RestoreConflictError` (restoring nothing) when a key is taken again, and `SessionNotFoundError` when an id is
   * not in the trash for the scope.
   */
  async restore(target: TrashTarget, scope: SessionScope = {}): Promise<number> {
    const { store, flowId } = this.options;
    if ("ids" in target) return store.restoreSessions(flowId, target.ids, scope);
    return store.restoreMatching(flowId, "batch" in target ? { batch: target.batch } : { search: target.search }, scope);
  }

  /** Deletes the target's trashed sessions for good; `{ search: "" }` empties the trash (for the scope). */
  async purge(target: TrashTarget, scope: SessionScope = {}): Promise<number> {
    const { store, flowId } = this.options;
    if ("ids" in target) return store.purgeTrash(flowId, { ids: target.ids }, scope);
    return store.purgeTrash(flowId, "batch" in target ? { batch: target.batch } : { search: target.search }, scope);
  }

  /** One window of the trash, with labels, step titles and when each session will be purged. */
  async listTrash(query: TrashQuery, scope: SessionScope = {}): Promise<TrashPage> {
    const { store, flowId } = this.options;
    const window = await store.listTrash(flowId, query, scope);
    return { ...query, offset: window.offset, total: window.total, items: window.sessions.map((session) => this.item(session)) };
  }

  /** One trashed session as the trash shows it, or `undefined` when it is not in the trash for the scope. */
  async getTrashed(sessionId: string, scope: SessionScope = {}): Promise<TrashListItem | undefined> {
    const session = await this.options.store.getTrashed(this.options.flowId, sessionId, scope);
    return session && this.item(session);
  }

  /**
   * Starts the lazy purge (sessions trashed more than `keepDays` ago) and idle expiry (`expireIdleAfterDays`), at
   * most once a {@link MAINTENANCE_INTERVAL_MS} and one run at a time, in batches of {@link MAINTENANCE_BATCH} with
   * a turn of the event loop between them. Returns at once: the caller never waits for it. Failures are logged.
   * The returned promise (for tests) settles when the run it started, or the one under way, is done.
   */
  maintain(now: Date = new Date()): Promise<void> {
    if (this.maintenance || now.getTime() - this.lastMaintenance < MAINTENANCE_INTERVAL_MS) return this.maintenance ?? Promise.resolve();
    this.lastMaintenance = now.getTime();
    this.maintenance = this.runMaintenance(now)
      .catch((error: unknown) => this.options.logger.warn("express-workflow-sessions: the lazy purge of the trash failed; it is tried again in a minute.", error))
      .finally(() => {
        this.maintenance = undefined;
      });
    return this.maintenance;
  }

  private async runMaintenance(now: Date): Promise<void> {
    const { store, flowId, trashKeepDays, expireIdleAfterDays } = this.options;
    if (expireIdleAfterDays !== undefined) {
      const cutoff = new Date(now.getTime() - expireIdleAfterDays * DAY_MS);
      for (;;) {
        const batch = randomUUID();
        const moved = await store.trashIdle(flowId, cutoff, MAINTENANCE_BATCH, { batch, deletedAt: now });
        if (trashKeepDays === false && moved > 0) await store.purgeTrash(flowId, { batch });
        if (moved < MAINTENANCE_BATCH) break;
        await nextTurn();
      }
    }
    if (trashKeepDays !== false) {
      const olderThan = new Date(now.getTime() - trashKeepDays * DAY_MS);
      while ((await store.purgeTrash(flowId, { olderThan, limit: MAINTENANCE_BATCH })) === MAINTENANCE_BATCH) await nextTurn();
    }
  }

  private item(session: TrashedSession): TrashListItem {
    const { trashKeepDays, stepTitle } = this.options;
    return {
      ...session,
      displayLabel: session.label || defaultLabel(session.createdAt),
      stepTitle: session.currentStep === null ? null : stepTitle(session.currentStep),
      purgeAt: session.deletedAt && trashKeepDays !== false ? new Date(session.deletedAt.getTime() + trashKeepDays * DAY_MS) : null,
    };
  }

  // The active-session rule: an active session that is gone gives way to the most recently updated one left, or to
  // a fresh one when none is left. No active session stays none.
  private async nextActive(activeSessionId: string | undefined, scope: SessionScope): Promise<string | undefined> {
    const { store, flowId } = this.options;
    if (activeSessionId === undefined) return undefined;
    if (await store.sessionExists(flowId, activeSessionId, scope)) return activeSessionId;
    const [next] = await store.listSessions(flowId, { orderBy: "updated_at", descending: true, limit: 1, owner: scope.owner });
    return next?.sessionId ?? (await store.createSession(flowId, { owner: scope.owner }));
  }
}
