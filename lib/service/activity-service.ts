import type { ActivityCursor, ActivityEvent, SessionScope } from "../session-types.js";
import type { WorkflowStore } from "../store/workflow-store.js";

/** What one window of the activity log is asked for. */
export interface ActivityQuery {
  /** Only this session's events. */
  sessionId?: string | undefined;
  /** Starts after this event (the last one of the window before). */
  after?: ActivityCursor | undefined;
  limit: number;
}

/** One window of the activity log, newest first, and the cursor of the next one (none after the last). */
export interface ActivityPage {
  events: ActivityEvent[];
  next: ActivityCursor | undefined;
}

/** The activity log's reading side: one owner's events of one flow, newest first; knows nothing of HTTP. */
export class ActivityService {
  constructor(private readonly options: { store: WorkflowStore; flowId: string }) {}

  /** One window of the scope owner's events (or of one session's), newest first. */
  list(query: ActivityQuery, scope: SessionScope = {}): Promise<ActivityPage> {
    const { store, flowId } = this.options;
    return store.listActivity(flowId, { limit: query.limit, ...(query.sessionId === undefined ? {} : { sessionId: query.sessionId }), ...(query.after ? { after: query.after } : {}) }, scope);
  }
}
