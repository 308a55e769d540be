import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import { noticesView } from "../../views/notice.js";
import { withListState } from "../../views/list-url.js";
import type { ManagerUrls, Notice, OpenDialog } from "../../views/view-data.js";
import { BUILT_IN_CONTEXT, builtInViews, type ViewContext } from "../../views/view-set.js";
import { loadAssets } from "./assets.js";
import { createErrorHandler, isHtmx } from "./error-handler.js";
import { csrfTokenFor, verifyCsrf } from "./csrf.js";
import { ConfigurationError, InvalidInputError, MethodNotAllowedError, NotSignedInError } from "../errors.js";
import { formBody } from "./form-body.js";
import { searchAdmission } from "./search-admission.js";
import { securityHeaders } from "./security-headers.js";
import { resolveOptions, type ResolvedOptions, type SessionManagerOptions } from "../options.js";
import { renderView } from "../render/render-view.js";
import { listParamsFrom, listStateQuery } from "../list-state.js";
import { SessionService, type SessionPage } from "../service/session-service.js";
import { loadViewOverrides, type ViewOverrides } from "../render/view-overrides.js";
import type { SessionScope } from "../store/workflow-store.js";
import "./session-data.js";

/** The format of a session id the routes accept: UUIDs, and ids such as `legacy-0`. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

export { MAX_BODY_BYTES } from "./form-body.js";

/** Options of {@link SessionManagerRouter.renderList}. */
export interface RenderListOptions {
  /**
   * The path the manager router is mounted at (`"/admin"` for `app.use("/admin", manager)`), so the list's links
   * and forms reach the manager's routes from the host's page.
   * @default ""
   */
  mountPath?: string;
  /**
   * The list parameters (`offset`, `sort`, `dir`, `q`, `cursor`), parsed as the `/list` route parses its query.
   * @default {} (the first window, newest first)
   */
  query?: Record<string, unknown>;
}

/** The router `createSessionManager()` returns: mount it with `app.use()`; it can also render its list for the host. */
export type SessionManagerRouter = Router & {
  /**
   * Renders the list fragment (`#ews-list`, with the view overrides applied) for `req`, to put in a page of the
   * host's own. It lists the sessions of `req`'s owner only, marks `req.session`'s active session, and its forms
   * carry `req`'s CSRF token (creating it in the session if needed). Rejects with `NotSignedInError` when the
   * `owner` option returns no owner, and with a `ConfigurationError` when express-session is not mounted or the
   * views folder failed to load; pass those to `next()`.
   */
  renderList(req: Request, options?: RenderListOptions): Promise<string>;
  /**
   * The id of `req.session`'s active session when it is a session of this flow that belongs to `req`'s owner (with
   * the `owner` option) and still exists; otherwise `undefined`. Read the active session through this in your
   * workflow routes rather than from `req.session.activeSessionId`, which may name a deleted session or, after
   * another sign-in on the same express-session, another owner's. A request for which `owner` returns no owner has
   * no active session. Rejects with a `ConfigurationError` when express-session is not mounted.
   */
  activeSessionOf(req: Request): Promise<string | undefined>;
};

/**
 * Builds the session manager: an Express router with the manager page, its list fragment, the create, rename,
 * delete and resume actions, and its own assets. Mount it after express-session. The active session is kept in
 * `req.session.activeSessionId` and nowhere else, so visitors never share state. Every POST must carry the
 * visitor's CSRF token and come from this origin; every response of the manager carries a strict CSP. With the
 * `owner` option, each user sees and changes only their own sessions.
 *
 * @example
 * ```ts
 * const store = await createWorkflowStore({ filename: "workflow_state.db" });
 * app.use(session({ store: persistentStore, secret, resave: false, saveUninitialized: false }));
 * app.use(createSessionManager({ store, flowId: "structure_decomposition", workflowUrl: "/workflow" }));
 * ```
 */
export function createSessionManager(options: SessionManagerOptions): SessionManagerRouter {
  const config = resolveOptions(options);
  const service = new SessionService(config);
  const assets = loadAssets();
  const { prefix } = config;
  const pagePath = prefix || "/";
  const views = viewLoader(config);
  const urlsAt = (mountPath: string): ManagerUrls => {
    const base = `${mountPath}${prefix}`;
    return {
      page: base || "/",
      list: `${base}/list`,
      create: `${base}/create`,
      rename: `${base}/rename`,
      delete: `${base}/delete`,
      resume: `${base}/resume`,
      assets: `${base}/assets`,
      state: "",
    };
  };
  const urlsFor = (req: Request): ManagerUrls => urlsAt(req.baseUrl);
  const form = formBody();
  const csrf = verifyCsrf({ origins: config.origins });
  const headers = securityHeaders();
  const admitSearch = searchAdmission((req) => listParamsFrom(req.query, config.pageSize).query.search !== "");
  const ownerOf = (req: Request): string | undefined => {
    const owner = config.owner?.(req);
    return typeof owner === "string" && owner !== "" ? owner : undefined;
  };
  const scopeOf = (req: Request): SessionScope => {
    if (!config.owner) return {};
    const owner = ownerOf(req);
    if (owner === undefined) throw new NotSignedInError();
    return { owner };
  };
  // req.session.activeSessionId is only a pointer the visitor's cookie carries: it may name a deleted session, or
  // another owner's after a second sign-in on the same express-session. Only the caller's own counts.
  const activeSessionOf = async (req: Request): Promise<string | undefined> => {
    const id = req.session.activeSessionId;
    if (typeof id !== "string" || !SESSION_ID_PATTERN.test(id)) return undefined;
    if (config.owner && ownerOf(req) === undefined) return undefined;
    return (await config.store.sessionExists(config.flowId, id, scopeOf(req))) ? id : undefined;
  };

  // The window, its order, the search and the cursor all come from the request: nothing is kept per visitor.
  const listData = async (req: Request, source: Record<string, unknown>, urls = urlsFor(req)) => {
    const { query, cursor } = listParamsFrom(source, config.pageSize);
    const page = await service.listPage(query, scopeOf(req));
    return {
      page,
      cursor: cursorWithin(page, cursor),
      // Only the rows of this page can carry the Active badge, and the page holds only the caller's own rows.
      activeSessionId: req.session.activeSessionId,
      columns: config.columns,
      urls: { ...urls, state: listStateQuery(page) },
      csrfToken: csrfTokenFor(req),
      now: new Date(),
    };
  };

  // Without JavaScript, Rename and Delete are links to the page with `?rename=<id>` or `?delete=<id>`, which renders
  // that dialog open. An id that is malformed or not the caller's opens nothing.
  const openDialogFor = async (req: Request): Promise<OpenDialog | undefined> => {
    for (const kind of ["rename", "delete"] as const) {
      const sessionId = req.query[kind];
      if (typeof sessionId !== "string" || !SESSION_ID_PATTERN.test(sessionId)) continue;
      const item = await service.getItem(sessionId, scopeOf(req)).catch(() => undefined);
      if (item) return { kind, session: { sessionId, label: item.displayLabel } };
    }
    return undefined;
  };

  const renderListResponse = async (req: Request, res: Response, notice?: Notice) => {
    const data = await listData(req, { ...req.query, ...req.body });
    const context = views.context();
    sendHtml(res, renderView(context.views.list(data, context)) + (notice ? renderView(noticesView({ notice, oob: true }, context)) : ""));
  };

  const finish = async (req: Request, res: Response, notice: Notice) => {
    // Without JavaScript the notice waits in the session for the page the 303 leads to, which shows it once.
    if (!isHtmx(req)) req.session.workflowSessionsFlash = notice;
    await saveSession(req);
    if (isHtmx(req)) await renderListResponse(req, res, notice);
    // Without JavaScript, back to the list as it was: the dialog's form carries its state in the action's query.
    else res.redirect(303, withListState(urlsFor(req).page, listStateQuery(listParamsFrom(req.query, config.pageSize).query)));
  };

  const router = express.Router();
  const onlyGet = methodNotAllowed("GET, HEAD");
  const onlyPost = methodNotAllowed("POST");
  // Each route of the manager, and only those, carries the security headers and needs express-session and the
  // views: with `prefix: ""` a prefix-wide `router.use("/")` would reach every route of the host.
  const route = (path: string) => router.route(path).all(headers, requireExpressSession, views.ready);

  // The asset name is compared as sent, never decoded: `%` or any malformed escape is simply no asset (404).
  router.use(`${prefix}/assets`, function serveAsset(req, res, next) {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    const asset = assets.get(req.path.slice(1));
    if (!asset) return next();
    headers(req, res, () => res.set("Cache-Control", "no-cache").type(asset.contentType).send(asset.body));
  });

  route(pagePath).get(admitSearch, handle(async function showPage(req, res) {
    const data = await listData(req, req.query);
    const notice = req.session.workflowSessionsFlash;
    if (notice) {
      delete req.session.workflowSessionsFlash;
      await saveSession(req);
    }
    const context = views.context();
    const content = context.views.page({ title: config.title, ...data, notice, dialog: await openDialogFor(req) }, context);
    sendHtml(res, renderView(context.views.layout({ title: config.title, urls: data.urls, content, csrfToken: data.csrfToken }, context)));
  })).all(onlyGet);

  route(`${prefix}/list`).get(admitSearch, handle(async function showList(req, res) {
    // The address bar shows the page URL of the list as it now is, so a reload or a shared link shows the same list;
    // the windows that scrolling fetches replace the address rather than push one history entry each.
    const { query } = listParamsFrom(req.query, config.pageSize);
    if (isHtmx(req)) res.set(req.get("EWS-Window") === "scroll" ? "HX-Replace-Url" : "HX-Push-Url", withListState(urlsFor(req).page, listStateQuery(query)));
    await renderListResponse(req, res);
  })).all(onlyGet);

  route(`${prefix}/create`).post(form, csrf, handle(async function createSession(req, res) {
    const scope = scopeOf(req);
    const sessionId = await service.create(singleField(req.body, "label"), scope);
    req.session.activeSessionId = sessionId;
    const item = await service.getItem(sessionId, scope);
    await finish(req, res, { kind: "success", message: `Created “${item.displayLabel}”.` });
  })).all(onlyPost);

  route(`${prefix}/rename`).post(form, csrf, handle(async function renameSession(req, res) {
    const scope = scopeOf(req);
    const sessionId = sessionIdFrom(req);
    const item = await service.rename(sessionId, singleField(req.body, "label") ?? "", scope);
    await finish(req, res, { kind: "success", message: `Renamed to “${item.displayLabel}”.` });
  })).all(onlyPost);

  route(`${prefix}/delete`).post(form, csrf, handle(async function deleteSession(req, res) {
    const scope = scopeOf(req);
    const sessionId = sessionIdFrom(req);
    const { displayLabel } = await service.getItem(sessionId, scope);
    // Another owner's (or a vanished) active session is not kept, and the next active one is the caller's own.
    const nextActive = await service.delete(sessionId, await activeSessionOf(req), scope);
    if (nextActive === undefined) delete req.session.activeSessionId;
    else req.session.activeSessionId = nextActive;
    await finish(req, res, { kind: "success", message: `Deleted “${displayLabel}”.` });
  })).all(onlyPost);

  route(`${prefix}/resume`).post(form, csrf, handle(async function resumeSession(req, res) {
    const scope = scopeOf(req);
    const sessionId = sessionIdFrom(req);
    await service.requireSession(sessionId, scope);
    req.session.activeSessionId = sessionId;
    await saveSession(req);
    if (isHtmx(req)) res.set("HX-Redirect", config.workflowUrl).status(204).end();
    else res.redirect(303, config.workflowUrl);
  })).all(onlyPost);

  // Mounted without a path, so req.baseUrl stays the router's mount path; only the routes above raise errors here.
  router.use(createErrorHandler(config, urlsFor, views.context));

  return Object.assign(router, {
    async renderList(req: Request, { mountPath = "", query = {} }: RenderListOptions = {}): Promise<string> {
      if (!req?.session) {
        throw new ConfigurationError("renderList(req) needs express-session on the request: mount app.use(session(...)) before the route that calls it.");
      }
      await views.loaded();
      const context = views.context();
      return renderView(context.views.list(await listData(req, query, urlsAt(mountPath)), context));
    },
    async activeSessionOf(req: Request): Promise<string | undefined> {
      if (!req?.session) {
        throw new ConfigurationError("activeSessionOf(req) needs express-session on the request: mount app.use(session(...)) before the route that calls it.");
      }
      return activeSessionOf(req);
    },
  });
}

/**
 * The views the routes render with. A folder of overrides loads in the background from setup on; until it has,
 * `ready` holds requests, and once it has failed, `ready` answers every request with the (logged) error.
 */
function viewLoader(config: ResolvedOptions) {
  let context: ViewContext | undefined = typeof config.views === "string" ? undefined : contextOf(config.views);
  let failure: ConfigurationError | undefined;
  const loading =
    typeof config.views === "string"
      ? loadViewOverrides(config.views).then(
          (overrides) => {
            context = contextOf(overrides);
          },
          (error: unknown) => {
            failure = error instanceof ConfigurationError ? error : new ConfigurationError(`The views folder ${config.views} failed to load: ${String(error)}`);
            config.logger.error(`express-workflow-sessions: ${failure.message}`);
          },
        )
      : Promise.resolve();
  const loaded = async () => {
    await loading;
    if (failure) throw failure;
  };
  const ready: RequestHandler = function waitForViews(_req, _res, next) {
    if (context) return next();
    loaded().then(() => next(), next);
  };
  // Errors are rendered even when the overrides failed to load: with the built-in views then.
  return { ready, loaded, context: (): ViewContext => context ?? BUILT_IN_CONTEXT };
}

function contextOf(overrides: ViewOverrides): ViewContext {
  if (Object.keys(overrides).length === 0) return BUILT_IN_CONTEXT;
  return Object.freeze({ views: Object.freeze({ ...builtInViews, ...overrides }), builtIn: builtInViews });
}

const requireExpressSession: RequestHandler = function requireExpressSession(req, _res, next) {
  if (req.session) return next();
  next(
    new ConfigurationError(
      "express-session is not mounted: add app.use(session({ store, secret, resave: false, saveUninitialized: false })) before app.use(createSessionManager(...)).",
    ),
  );
};

function methodNotAllowed(allow: string): RequestHandler {
  return function rejectMethod(req, _res, next) {
    next(new MethodNotAllowedError(req.method, allow));
  };
}

function handle(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  const wrapped = (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
  Object.defineProperty(wrapped, "name", { value: fn.name });
  return wrapped;
}

function singleField(body: unknown, name: string): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new InvalidInputError(`Send the field "${name}" once, as text.`);
  return value;
}

function sessionIdFrom(req: Request): string {
  const sessionId = singleField(req.body, "session_id")?.trim();
  if (!sessionId) throw new InvalidInputError("The field session_id is required.");
  if (!SESSION_ID_PATTERN.test(sessionId)) throw new InvalidInputError("The field session_id is not a valid session id.");
  return sessionId;
}

// The cursor stays on its row; after a delete at the end it falls on the nearest row left.
function cursorWithin(page: SessionPage, cursor: number | undefined): number {
  if (page.total === 0) return 0;
  return Math.min(cursor ?? page.offset, page.total - 1);
}

// The list is never cached (no-store), so it skips res.send()'s ETag: hashing 100 KB of rows on every request is
// pure cost. The body is encoded once, with its length, rather than measured and then encoded as a chunk.
function sendHtml(res: Response, body: string): void {
  const bytes = Buffer.from(body);
  res.set({ "Cache-Control": "no-store", "Content-Length": String(bytes.length) }).type("html").end(bytes);
}

function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}
