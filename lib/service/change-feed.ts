import type { ChangeSubscription, StoreChange, WorkflowStore } from "../store/workflow-store.js";

/** The actions a {@link SessionChange} names: this process's own writes, or `external` for one seen in the database. */
export type ChangeAction = "create" | "rename" | "delete" | "restore" | "purge" | "pin" | "unpin" | "tag" | "duplicate" | "import" | "resume" | "expire" | "external";

/**
 * Something changed in a flow's sessions. A change of this process names its flow, owner, action and sessions; one
 * seen in the database (another process, another instance) names at most its flow and owner, or nothing at all,
 * and then concerns every listener ("something changed: read your window again").
 */
export interface SessionChange {
  action: ChangeAction;
  /** The flow, when known. */
  flowId?: string;
  /** The sessions' owner (`undefined`: no owner); only meaningful with `ownerKnown`. */
  owner?: string | undefined;
  /** True when `owner` says whose sessions changed. */
  ownerKnown: boolean;
  /** The sessions concerned, when known (this process's own writes). */
  sessionIds: readonly string[];
}

/** Who a listener listens for: one flow, and one owner's sessions (`undefined`: every session of the flow). */
export interface ChangeAudience {
  flowId: string;
  owner: string | undefined;
}

/** A listener's subscription. */
export interface FeedSubscription {
  /** Resolves once the database is watched too (see `WorkflowStore.watchChanges`). */
  ready: Promise<void>;
  unsubscribe(): void;
}

/** True when `change` is for `audience`: its flow (or an unknown one), and its owner's sessions (or unknown ones). */
export function concerns(change: SessionChange, audience: ChangeAudience): boolean {
  if (change.flowId !== undefined && change.flowId !== audience.flowId) return false;
  return audience.owner === undefined || !change.ownerKnown || change.owner === audience.owner;
}

/**
 * The changes of one store's sessions, for the live updates: what the services of this process publish after each
 * commit, and what the store sees other connections do (`WorkflowStore.watchChanges`, watched only while someone
 * listens). One feed per store and process ({@link changeFeedOf}), shared by every manager of that store.
 */
export class ChangeFeed {
  private readonly listeners = new Map<(change: SessionChange) => void, ChangeAudience>();
  private watched: ChangeSubscription | undefined;

  constructor(private readonly store: WorkflowStore) {}

  /** How many listeners are subscribed now. */
  get size(): number {
    return this.listeners.size;
  }

  /**
   * Tells the listeners this change concerns. Called by the services once a write is committed; never throws.
   * `ownerKnown` is true unless given: `false` for a flow-wide change of every owner's sessions (the idle expiry).
   */
  publish(change: Omit<SessionChange, "ownerKnown"> & { ownerKnown?: boolean }): void {
    this.deliver({ ownerKnown: true, ...change });
  }

  /** Subscribes `listener` to the changes that concern `audience`; the store is watched while anyone is. */
  subscribe(audience: ChangeAudience, listener: (change: SessionChange) => void): FeedSubscription {
    const own = (change: SessionChange) => listener(change);
    this.listeners.set(own, audience);
    this.watched ??= this.store.watchChanges((change) => this.deliver(fromStore(change)));
    return {
      ready: this.watched.ready,
      unsubscribe: () => {
        if (!this.listeners.delete(own) || this.listeners.size > 0) return;
        this.watched?.unsubscribe();
        this.watched = undefined;
      },
    };
  }

  private deliver(change: SessionChange): void {
    for (const [listener, audience] of [...this.listeners]) {
      if (!concerns(change, audience)) continue;
      try {
        listener(change);
      } catch {
        // A listener's failure (a stream that broke) is its own: the others still hear of the change.
      }
    }
  }
}

/** A change the store saw, as a {@link SessionChange}. */
function fromStore(change: StoreChange): SessionChange {
  if (change.flowPrefix === undefined) return { action: "external", ownerKnown: false, sessionIds: [] };
  if (change.owner === undefined) return { action: "external", flowId: change.flowPrefix.slice(0, -1), ownerKnown: false, sessionIds: [] };
  return { action: "external", flowId: change.flowPrefix.slice(0, -1), owner: change.owner ?? undefined, ownerKnown: true, sessionIds: [] };
}

const feeds = new WeakMap<WorkflowStore, ChangeFeed>();

/** The {@link ChangeFeed} of `store` in this process, made on first use. */
export function changeFeedOf(store: WorkflowStore): ChangeFeed {
  let feed = feeds.get(store);
  if (!feed) {
    feed = new ChangeFeed(store);
    feeds.set(store, feed);
  }
  return feed;
}
