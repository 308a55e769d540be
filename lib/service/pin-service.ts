import type { SessionScope, WorkflowStore } from "../store/workflow-store.js";
import type { SessionListItem } from "./enrichment.js";
import type { SessionService } from "./session-service.js";

/** What {@link PinService} needs: the store, the flow, and the sessions' service that enriches rows. */
export interface PinServiceOptions {
  store: WorkflowStore;
  flowId: string;
  sessions: SessionService;
}

/**
 * Pins and unpins sessions of one flow for the scope's owner, and reads the Pinned section. Knows nothing of HTTP;
 * throws `SessionNotFoundError` for a session that is not the caller's and `PinLimitError` past the limit.
 */
export class PinService {
  private readonly store: WorkflowStore;
  private readonly flowId: string;
  private readonly sessions: SessionService;

  constructor({ store, flowId, sessions }: PinServiceOptions) {
    this.store = store;
    this.flowId = flowId;
    this.sessions = sessions;
  }

  /** Pins the session (last in pin order; a pinned one keeps its place) and returns it as the list shows it. */
  async pin(sessionId: string, scope: SessionScope = {}): Promise<SessionListItem> {
    await this.store.pinSession(this.flowId, sessionId, scope);
    this.sessions.changed("pin", scope, [sessionId]);
    return this.sessions.getItem(sessionId, scope);
  }

  /** Unpins the session (idempotent) and returns it; throws `SessionNotFoundError` when it is not the caller's. */
  async unpin(sessionId: string, scope: SessionScope = {}): Promise<SessionListItem> {
    const item = await this.sessions.getItem(sessionId, scope);
    await this.store.unpinSession(this.flowId, sessionId, scope);
    this.sessions.changed("unpin", scope, [sessionId]);
    return item;
  }

  /** The caller's pinned sessions, in pin order, as the list shows them (at most `MAX_PINS`). */
  async pinnedItems(scope: SessionScope = {}): Promise<SessionListItem[]> {
    const pins = await this.store.listPins(this.flowId, scope);
    return pins.length === 0 ? [] : this.sessions.itemsOf(pins, scope);
  }
}
