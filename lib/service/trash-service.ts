import { randomUUID } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { SessionManagerLogger } from "../options.js";
import type { SessionScope, TrashedSession, TrashListItem, TrashPage, TrashQuery } from "../session-types.js";
import { TRASH_CHUNK, type WorkflowStore } from "../store/workflow-store.js";
import { SessionNotFoundError } from "../errors.js";
import type { SessionListItem } from "../session-types.js";
import { defaultLabel } from "./labels.js";
import type { ActionOptions, SessionService } from "./session-service.js";
import { changeFeedOf, type ChangeAction } from "./change-feed.js";

/** Which sessions an action of many acts on: exactly these ids, or every one that matches a search (`""`: all). */
export type SessionTarget = { ids: readonly string[] } | { search: string; tags?: readonly string[] | undefined };

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
  /** Days an event of the activity log is kept (purged with the trash); `false` or absent: never purged here. */
  activityKeepDays?: number | false;
  stepTitle: (stepId: string) => string;
  logger: SessionManagerLogger;
  /**
   * The session service, whose hooks (`beforeDelete`, `afterDelete`, `beforeRestore`, `afterRestore`, `afterPurge`)
   * and version checks the trash's actions use.
   * @default none: no hooks, no version checks
   */
  sessions?: SessionService;
  /**
   * True for a `readonly` manager, which changes nothing: the lazy purge and idle expiry do not run (over a store
   * opened read-only they could only fail, once a minute).
   * @default false
   */
  readonly?: boolean;
}

/** The least time between two runs of the lazy purge and idle expiry: one minute. */
export const MAINTENANCE_INTERVAL_MS = 60_000;

/** The most rows one batch of the lazy purge or idle expiry touches, in one statement. */
export const MAINTENANCE_BATCH = TRASH_CHUNK;

const DAY_MS = 86_400_000;

/** The most sessions whose items `afterRestore` gets (their ids come whatever the count). */
const MAX_HOOK_ITEMS = 1_000;

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
  async delete(target: SessionTarget, activeSessionId: string | undefined, scope: SessionScope = {}, options: ActionOptions = {}): Promise<DeleteResult> {
    const { store, flowId, sessions } = this.options;
    const batch = randomUUID();
    const permanent = !this.enabled;
    // One id with the version it was shown at: the move is conditional on the row being exactly as checked.
    const guarded = "ids" in target && target.ids.length === 1 && options.expectedVersion !== undefined && sessions;
    const unchanged = guarded ? (await sessions.checkedRecordOf(target.ids[0]!, scope, options.expectedVersion)).snapshot : undefined;
    const hooked = sessions && (sessions.hookRunner.has("beforeDelete") || sessions.hookRunner.has("afterDelete"));
    let context;
    if (hooked) {
      const items = "ids" in target ? await sessions.getItems(target.ids, scope) : [];
      // For a delete of all matching, the hooks get the ids that match now, without items.
      let ids = "ids" in target ? target.ids : (await store.listSessions(flowId, { search: target.search, owner: scope.owner })).map((s) => s.sessionId);
      if (!("ids" in target) && target.tags && target.tags.length > 0) {
        const tags = target.tags;
        const tagged = await store.getTags(flowId, ids, scope);
        ids = ids.filter((id) => tags.every((tag) => tagged.get(id)?.includes(tag)));
      }
      context = sessions.hookContext(options, scope, items, ids);
      await sessions.hookRunner.before("beforeDelete", context);
    }
    let count: number;
    try {
      if ("ids" in target) {
        count = permanent ? await store.deleteSessions(flowId, target.ids, scope, { unchanged }) : await store.trashSessions(flowId, target.ids, scope, { batch, unchanged });
      } else {
        count = permanent
          ? await store.deleteMatching(flowId, { search: target.search, tags: target.tags }, scope)
          : await store.trashMatching(flowId, { search: target.search, tags: target.tags }, scope, { batch });
      }
    } catch (error) {
      if (guarded && error instanceof SessionNotFoundError) throw await sessions.conflictAfterLostWrite(target.ids[0]!, scope, options.expectedVersion);
      throw error;
    }
    if (count > 0) this.changed("delete", scope, "ids" in target ? target.ids : []);
    if (context) await sessions!.hookRunner.after("afterDelete", context);
    return { count, permanent, batch, nextActive: await this.nextActive(activeSessionId, scope) };
  }

  /**
   * Moves the target's trashed sessions back, byte for byte. Never changes the active session. Throws
   * `RestoreConflictError` (restoring nothing) when a key is taken again, and `SessionNotFoundError` when an id is
   * not in the trash for the scope.
   */
  async restore(target: TrashTarget, scope: SessionScope = {}, options: ActionOptions = {}): Promise<number> {
    const { store, flowId, sessions } = this.options;
    // `beforeRestore` gets the ids of a restore by ids; for a batch or a search, none yet (`sessionIds` is empty).
    // `afterRestore` gets every id restored, and their items when there are at most MAX_HOOK_ITEMS of them.
    const before = "ids" in target ? target.ids : [];
    const runner = sessions?.hookRunner;
    if (runner?.has("beforeRestore")) await runner.before("beforeRestore", sessions!.hookContext(options, scope, [], before));
    const restored: string[] = "ids" in target ? [...target.ids] : [];
    const count =
      "ids" in target
        ? await store.restoreSessions(flowId, target.ids, scope)
        : await store.restoreMatching(flowId, "batch" in target ? { batch: target.batch } : { search: target.search }, scope, (ids) => restored.push(...ids));
    if (count > 0) this.changed("restore", scope, restored);
    if (runner?.has("afterRestore")) {
      const items: SessionListItem[] = restored.length <= MAX_HOOK_ITEMS ? await sessions!.getItems(restored, scope) : [];
      await runner.after("afterRestore", sessions!.hookContext(options, scope, items, restored));
    }
    return count;
  }

  /** Deletes the target's trashed sessions for good; `{ search: "" }` empties the trash (for the scope). */
  async purge(target: TrashTarget, scope: SessionScope = {}, options: ActionOptions = {}): Promise<number> {
    const { store, flowId, sessions } = this.options;
    // `afterPurge` gets the id of every session purged, whatever the target (a batch, a search, the whole trash).
    const purged: string[] = [];
    const onPurged = (ids: string[]) => void purged.push(...ids);
    const count =
      "ids" in target
        ? await store.purgeTrash(flowId, { ids: target.ids, onPurged }, scope)
        : await store.purgeTrash(flowId, "batch" in target ? { batch: target.batch, onPurged } : { search: target.search, onPurged }, scope);
    if (count > 0) this.changed("purge", scope, purged);
    const runner = sessions?.hookRunner;
    if (runner?.has("afterPurge")) await runner.after("afterPurge", sessions!.hookContext(options, scope, [], purged));
    return count;
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
   * With `readonly`, nothing runs.
   * The returned promise (for tests) settles when the run it started, or the one under way, is done. What it purges
   * reaches the `afterPurge` hook once per run, with every purged id, the visit's `request` and no owner (the purge
   * is flow-wide).
   */
  maintain(now: Date = new Date(), request?: unknown): Promise<void> {
    if (this.options.readonly) return Promise.resolve();
    if (this.maintenance || now.getTime() - this.lastMaintenance < MAINTENANCE_INTERVAL_MS) return this.maintenance ?? Promise.resolve();
    this.lastMaintenance = now.getTime();
    this.maintenance = this.runMaintenance(now, request)
      .catch((error: unknown) => this.options.logger.warn("express-workflow-sessions: the lazy purge of the trash failed; it is tried again in a minute.", error))
      .finally(() => {
        this.maintenance = undefined;
      });
    return this.maintenance;
  }

  private async runMaintenance(now: Date, request: unknown): Promise<void> {
    const { sessions } = this.options;
    const purged: string[] = [];
    const onPurged = (ids: string[]) => void purged.push(...ids);
    try {
      await this.expireAndPurge(now, onPurged);
    } finally {
      const runner = sessions?.hookRunner;
      if (purged.length > 0 && runner?.has("afterPurge")) await runner.after("afterPurge", sessions!.hookContext({ request }, {}, [], purged));
    }
  }

  private async expireAndPurge(now: Date, onPurged: (ids: string[]) => void): Promise<void> {
    const { store, flowId, trashKeepDays, expireIdleAfterDays } = this.options;
    if (expireIdleAfterDays !== undefined) {
      const cutoff = new Date(now.getTime() - expireIdleAfterDays * DAY_MS);
      for (;;) {
        const batch = randomUUID();
        const moved = await store.trashIdle(flowId, cutoff, MAINTENANCE_BATCH, { batch, deletedAt: now });
        // Every owner's idle sessions: each listener of the flow reads its window again.
        if (moved > 0) changeFeedOf(store).publish({ action: "expire", flowId, owner: undefined, ownerKnown: false, sessionIds: [] });
        if (trashKeepDays === false && moved > 0) await store.purgeTrash(flowId, { batch, onPurged });
        if (moved < MAINTENANCE_BATCH) break;
        await nextTurn();
      }
    }
    if (trashKeepDays !== false) {
      const olderThan = new Date(now.getTime() - trashKeepDays * DAY_MS);
      while ((await store.purgeTrash(flowId, { olderThan, limit: MAINTENANCE_BATCH, onPurged })) === MAINTENANCE_BATCH) await nextTurn();
    }
    const { activityKeepDays } = this.options;
    if (activityKeepDays !== undefined && activityKeepDays !== false) {
      const olderThan = new Date(now.getTime() - activityKeepDays * DAY_MS);
      while ((await store.purgeActivity(flowId, olderThan, MAINTENANCE_BATCH)) === MAINTENANCE_BATCH) await nextTurn();
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
    if (next) return next.sessionId;
    const fresh = await store.createSession(flowId, { owner: scope.owner, activity: scope.activity });
    this.changed("create", scope, [fresh]);
    return fresh;
  }

  /** Tells the live updates of this process that the scope's sessions changed (after the commit). */
  private changed(action: ChangeAction, scope: SessionScope, sessionIds: readonly string[]): void {
    changeFeedOf(this.options.store).publish({ action, flowId: this.options.flowId, owner: scope.owner, sessionIds });
  }
}
