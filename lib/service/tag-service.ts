import { normalizeTags, type SessionScope, type TagChange, type TagCount, type TagTarget, type WorkflowStore } from "../store/workflow-store.js";
import { changeFeedOf } from "./change-feed.js";
import type { SessionListItem } from "./enrichment.js";

export { MAX_TAGS } from "../store/workflow-store.js";
import type { SessionService } from "./session-service.js";

/** What {@link TagService} needs: the store, the flow, and the sessions' service that enriches rows. */
export interface TagServiceOptions {
  store: WorkflowStore;
  flowId: string;
  sessions: SessionService;
}

/**
 * Sets the tags of sessions of one flow for the scope's owner, and reads the owner's tags with their counts. Knows
 * nothing of HTTP; throws `SessionNotFoundError` for a session that is not the caller's and `InvalidInputError` for
 * tags the rules refuse (see `normalizeTags()`).
 */
export class TagService {
  private readonly store: WorkflowStore;
  private readonly flowId: string;
  private readonly sessions: SessionService;

  constructor({ store, flowId, sessions }: TagServiceOptions) {
    this.store = store;
    this.flowId = flowId;
    this.sessions = sessions;
  }

  /** Replaces the session's tags with `tags` (none clears them) and returns it as the list shows it, with its tags. */
  async setTags(sessionId: string, tags: readonly string[], scope: SessionScope = {}): Promise<SessionListItem> {
    const stored = await this.store.setTags(this.flowId, sessionId, tags, scope);
    this.published(scope, [sessionId]);
    return { ...(await this.sessions.getItem(sessionId, scope)), tags: stored };
  }

  /** Adds `tag` to the sessions of `target` (ids, or every match of a search) that lack it; see `WorkflowStore.addTag()`. */
  async addTag(target: TagTarget, tag: string, scope: SessionScope = {}): Promise<TagChange> {
    const change = await this.store.addTag(this.flowId, target, tag, scope);
    if (change.changed > 0) this.published(scope, "ids" in target ? target.ids : []);
    return change;
  }

  /** Removes `tag` from the sessions of `target` that carry it. */
  async removeTag(target: TagTarget, tag: string, scope: SessionScope = {}): Promise<TagChange> {
    const change = await this.store.removeTag(this.flowId, target, tag, scope);
    if (change.changed > 0) this.published(scope, "ids" in target ? target.ids : []);
    return change;
  }

  // Tells the live updates (this process's streams) that these sessions' tags changed.
  private published(scope: SessionScope, sessionIds: readonly string[]): void {
    changeFeedOf(this.store).publish({ action: "tag", flowId: this.flowId, owner: scope.owner, sessionIds });
  }

  /** `tags` as they would be stored (see `normalizeTags()`); throws `InvalidInputError` for a set the rules refuse. */
  checked(tags: readonly string[]): string[] {
    return normalizeTags(tags);
  }

  /** The caller's tags of the flow with how many of their sessions carry each, in code point order. */
  tagCounts(scope: SessionScope = {}): Promise<TagCount[]> {
    return this.store.tagCounts(this.flowId, scope);
  }

  /** `items` with their tags, read by key for these rows only. */
  async withTags(items: SessionListItem[], scope: SessionScope = {}): Promise<SessionListItem[]> {
    if (items.length === 0) return items;
    const tags = await this.store.getTags(this.flowId, items.map((item) => item.sessionId), scope);
    return items.map((item) => ({ ...item, tags: tags.get(item.sessionId) ?? [] }));
  }
}
