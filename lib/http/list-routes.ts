import type { Request, Response } from "express";
import { noticesView } from "../../views/notice.js";
import type { ListViewData, ManagerUrls, Notice, OpenDialog, PageViewData } from "../../views/view-data.js";
import { listParamsFrom, listStateQuery, withListState } from "../list-state.js";
import { renderView, renderViewToChunks } from "../render/render-view.js";
import type { SessionPage } from "../service/list-page.js";
import { csrfTokenFor } from "./csrf.js";
import { isHtmx, wantsJson } from "./error-handler.js";
import { sendHtml } from "./html-response.js";
import { sendJson, sessionListJson } from "./json-replies.js";
import type { RouteContext } from "./route-context.js";
import { saveSession, SESSION_ID_PATTERN } from "./session-data.js";

/** The handlers that show the list: the manager page, the `/list` fragment, and the list the host renders itself. */
export interface ListRoutes {
  /**
   * `GET {prefix}`: the whole page, with the one-time notice and a dialog opened by `?rename=` or `?delete=`; with
   * `Accept: application/json`, the list as JSON (which leaves the notice waiting).
   */
  showPage(req: Request, res: Response): Promise<void>;
  /**
   * `GET {prefix}/list`: the list fragment, which htmx swaps in; it sets the address bar to the page's URL. With
   * `Accept: application/json`, the list as JSON.
   */
  showList(req: Request, res: Response): Promise<void>;
  /**
   * Answers with the whole page for the request's query, with `extra` (e.g. a confirmation rendered open) and the
   * one-time notice, which it then removes from the session.
   */
  sendPage(req: Request, res: Response, extra?: Partial<Pick<PageViewData, "bulkDialog" | "tagDialog">>): Promise<void>;
  /** Answers with the list as the request's query and form ask for it, followed by `notice` out of band. */
  sendList(req: Request, res: Response, notice?: Notice): Promise<void>;
  /** The list fragment for `req` as a router mounted at `mountPath` would render it (`renderList()`). */
  renderList(req: Request, mountPath: string, query: Record<string, unknown>): Promise<string>;
}

/** Builds the list's handlers over one manager's {@link RouteContext}. */
export function listRoutes({ config, service, pins, tags, views, urlsAt, urlsFor, scopeOf }: RouteContext): ListRoutes {
  // The window, its order, the search and the cursor all come from the request: nothing is kept per visitor.
  const listData = async (req: Request, source: Record<string, unknown>, urls: ManagerUrls = urlsFor(req)): Promise<ListViewData> => {
    const { query, cursor } = listParamsFrom(source, config.pageSize);
    // One change token for the window, pins, tags and counts: on PostgreSQL an unchanged list costs one round trip.
    const scope = await service.atReadPoint(scopeOf(req));
    const [window, pinned, tagCounts] = await Promise.all([service.listPage(query, scope), pins.pinnedItems(scope), tags.tagCounts(scope)]);
    const page = { ...window, items: await tags.withTags(window.items, scope) };
    return {
      page,
      cursor: cursorWithin(page, cursor),
      // Only the rows of this page can carry the Active badge, and the page holds only the caller's own rows.
      activeSessionId: req.session.activeSessionId,
      columns: config.columns,
      // Forms come back to this window by its offset (the client adds its first row as `after`, docs/large-lists.md).
      urls: { ...urls, state: listStateQuery({ ...page, after: undefined, before: undefined }) },
      csrfToken: csrfTokenFor(req),
      now: new Date(),
      pinned,
      tagCounts,
    };
  };

  // Without JavaScript, Rename and Delete are links to the page with `?rename=<id>` or `?delete=<id>`, which renders
  // that dialog open. An id that is malformed or not the caller's opens nothing; nor does any with `readonly`.
  const openDialogFor = async (req: Request): Promise<OpenDialog | undefined> => {
    if (config.readonly) return undefined;
    for (const kind of ["rename", "delete"] as const) {
      const sessionId = req.query[kind];
      if (typeof sessionId !== "string" || !SESSION_ID_PATTERN.test(sessionId)) continue;
      const item = await service.getItem(sessionId, scopeOf(req)).catch(() => undefined);
      if (!item) continue;
      const [tagged] = await tags.withTags([item], scopeOf(req));
      return { kind, session: { sessionId, label: item.displayLabel, version: item.version, tags: tagged?.tags ?? [] } };
    }
    return undefined;
  };

  // The JSON API's list: the same window as the page's, with the token a script sends back as X-CSRF-Token.
  const sendListJson = async (req: Request, res: Response): Promise<void> => {
    const data = await listData(req, req.query);
    sendJson(res, 200, sessionListJson(data.page, data.activeSessionId, data.csrfToken, data.pinned));
  };

  async function sendList(req: Request, res: Response, notice?: Notice): Promise<void> {
    const data = await listData(req, { ...req.query, ...req.body });
    const context = views.context();
    const list = renderViewToChunks(context.views.list(data, context));
    sendHtml(res, notice ? [...list, ...renderViewToChunks(noticesView({ notice, oob: true }, context))] : list);
  }

  async function sendPage(req: Request, res: Response, extra: Partial<Pick<PageViewData, "bulkDialog" | "tagDialog">> = {}): Promise<void> {
    const data = await listData(req, req.query);
    const notice = req.session.workflowSessionsFlash;
    if (notice) {
      delete req.session.workflowSessionsFlash;
      await saveSession(req);
    }
    const context = views.context();
    const page: PageViewData = {
      title: config.title,
      ...data,
      notice,
      dialog: await openDialogFor(req),
      trashKeepDays: config.trashKeepDays,
      expireIdleAfterDays: config.expireIdleAfterDays,
      ...extra,
    };
    const content = context.views.page(page, context);
    sendHtml(res, renderViewToChunks(context.views.layout({ title: config.title, urls: data.urls, content, csrfToken: data.csrfToken }, context)));
  }

  return {
    showPage(req, res) {
      if (wantsJson(req)) return sendListJson(req, res);
      return sendPage(req, res);
    },

    sendPage,

    async showList(req, res) {
      if (wantsJson(req)) return sendListJson(req, res);
      // The address bar shows the page URL of the list as it now is, so a reload or a shared link shows the same
      // list; the windows that scrolling fetches replace the address rather than push one history entry each.
      const { query } = listParamsFrom(req.query, config.pageSize);
      if (isHtmx(req)) res.set(req.get("EWS-Window") === "scroll" ? "HX-Replace-Url" : "HX-Push-Url", withListState(urlsFor(req).page, listStateQuery(query)));
      await sendList(req, res);
    },

    sendList,

    async renderList(req, mountPath, query) {
      await views.loaded();
      const context = views.context();
      return renderView(context.views.list(await listData(req, query, urlsAt(mountPath)), context));
    },
  };
}

// The cursor stays on its row; after a delete at the end it falls on the nearest row left.
function cursorWithin(page: SessionPage, cursor: number | undefined): number {
  if (page.total === 0) return 0;
  return Math.min(cursor ?? page.offset, page.total - 1);
}
