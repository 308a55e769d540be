import type { SessionOrderBy, SessionScope, WorkflowStore } from "../store/workflow-store.js";
import { ConcurrencyLimit } from "./concurrency-limit.js";
import type { ListQuery, SessionPage } from "../session-types.js";
import type { Enrichment } from "./enrichment.js";

export type { ListQuery, SessionPage } from "../session-types.js";

/** The most list windows with a search that one service reads at once; more wait their turn. */
export const CONCURRENT_SEARCHES = 2;

/** Reads windows of one flow's list from the store and enriches their rows. */
export class ListPages {
  /** Windows with a search, which cost more than others, run at most {@link CONCURRENT_SEARCHES} at a time. */
  private readonly searches = new ConcurrencyLimit(CONCURRENT_SEARCHES);

  /**
   * @param store - where the sessions are
   * @param flowId - the flow whose sessions are listed
   * @param enrichment - turns the window's rows into list items
   */
  constructor(
    private readonly store: WorkflowStore,
    private readonly flowId: string,
    private readonly enrichment: Enrichment,
  ) {}

  /**
   * One window of sessions, enriched. State blobs are read only for the rows in the window (always: each item's
   * version is a hash of its state text). An offset past the end
   * gives the last full window, so a delete on the last rows still shows rows. With an owner in `scope`, only that
   * owner's sessions exist. Windows with a search wait for each other (at most {@link CONCURRENT_SEARCHES} at once),
   * so a burst of broad searches does not hold up other visitors' lists; the router's GET routes also admit whole
   * search requests one at a time (`lib/http/search-admission.ts`), so this limit binds for `renderList()` and the
   * lists that actions answer with.
   */
  async read(query: ListQuery, scope: SessionScope = {}): Promise<SessionPage> {
    const { store, flowId } = this;
    const read = () => store.listWindow(flowId, { ...query, owner: scope.owner, readPoint: scope.readPoint, withStates: true });
    const window = await (query.search === "" && !query.tags?.length ? read() : this.searches.run(read));
    const items = await this.enrichment.enrichAll(window.sessions, scope, window.states);
    return { ...query, offset: window.offset, items, total: window.total, capped: window.capped, anchors: window.anchors };
  }
}
