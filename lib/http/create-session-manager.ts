import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import { BUILT_IN_CONTEXT, builtInViews } from "../../views/view-set.js";
import type { ViewContext } from "../../views/view-types.js";
import { ConfigurationError, MethodNotAllowedError, ReadOnlyError } from "../errors.js";
import { listParamsFrom } from "../list-state.js";
import { resolveOptions, type ResolvedOptions, type SessionManagerOptions } from "../options.js";
import { folderPath, loadViewOverrides, validateViewOverrides, type ViewOverrides } from "../render/view-overrides.js";
import { SessionService } from "../service/session-service.js";
import { SessionTransfer } from "../service/session-transfer.js";
import { TrashService } from "../service/trash-service.js";
import { PinService } from "../service/pin-service.js";
import { TagService } from "../service/tag-service.js";
import { actionRoutes } from "./action-routes.js";
import { pinRoutes } from "./pin-routes.js";
import { eventRoutes } from "./event-routes.js";
import { tagRoutes } from "./tag-routes.js";
import { openApiDocument } from "./api-description.js";
import { assetRoute } from "./asset-routes.js";
import { loadAssets } from "./assets.js";
import { varyOnAnswerForm } from "./vary-answer-form.js";
import { verifyCsrf } from "./csrf.js";
import { createErrorHandler } from "./error-handler.js";
import { formBody, MAX_BULK_BODY_BYTES } from "./form-body.js";
import { importBody } from "./import-body.js";
import { listRoutes } from "./list-routes.js";
import { trashRoutes } from "./trash-routes.js";
import { createRouteContext, type ViewLoader } from "./route-context.js";
import { searchAdmission } from "./search-admission.js";
import { securityHeaders } from "./security-headers.js";
import { transferRoutes } from "./transfer-routes.js";
import "./session-data.js";
import { activityRoutes } from "./activity-routes.js";
import { ActivityService } from "../service/activity-service.js";

export { SESSION_ID_PATTERN } from "./session-data.js";
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
 * duplicate, delete and resume actions, and its own assets. With `Accept: application/json` every route answers
 * JSON, as `GET {prefix}/openapi.json` (OpenAPI 3.1) describes. Mount it after express-session. The active session is kept in
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
  const { store, flowId, columns, enrich, label, enrichCacheSize, stepTitle, logger, prefix, hooks, hookTimeoutMs } = config;
  const service = new SessionService({ store, flowId, columns, enrich, label, enrichCacheSize, stepTitle, logger, hooks, hookTimeoutMs });
  const assets = loadAssets();
  const views = viewLoader(config);
  const pins = new PinService({ store, flowId, sessions: service });
  const tags = new TagService({ store, flowId, sessions: service });
  const context = createRouteContext(config, service, pins, tags, views, assets);
  const list = listRoutes(context);
  const actions = actionRoutes(context, list);
  const transfers = transferRoutes(context, list, new SessionTransfer(store, flowId, service));
  const trash = new TrashService({ store, flowId, trashKeepDays: config.trashKeepDays, expireIdleAfterDays: config.expireIdleAfterDays, activityKeepDays: config.activityKeepDays, stepTitle, logger, sessions: service, readonly: config.readonly });
  const bulk = trashRoutes(context, list, trash);
  const form = formBody();
  // The bulk routes take up to 1,000 session_id fields (MAX_BULK_IDS), plus the list state and the CSRF token.
  const bulkForm = formBody({ limit: MAX_BULK_BODY_BYTES, parameterLimit: 1_020 });
  // The lazy purge of the trash and the idle expiry: started (at most once a minute) by a visit, never awaited.
  const purgeLazily: Handler = function purgeLazily(req, _res, next) {
    void trash.maintain(new Date(), req);
    next();
  };
  const csrf = verifyCsrf({ origins: config.origins });
  const headers = securityHeaders();
  // Searches are admitted one at a time (see search-admission.ts), so a burst of them never holds up a plain list.
  const admitSearch = searchAdmission((req) => listParamsFrom(req.query, config.pageSize).query.search !== "");

  const router = express.Router();
  // Each route of the manager, and only those, carries the security headers and needs express-session and the
  // views: with `prefix: ""` a prefix-wide `router.use("/")` would reach every route of the host.
  const route = (path: string, method: "get" | "post", ...handlers: Array<Handler | Handler[]>): void => {
    // With `readonly: true`, every POST is refused before its body is read.
    const guard = method === "post" && config.readonly ? [refuseChange] : [];
    router
      .route(path)
      .all(headers, varyOnAnswerForm, requireExpressSession, views.ready)
      [method]([...guard, ...handlers.flat()].map(forwardRejection))
      .all(methodNotAllowed(method === "get" ? "GET, HEAD" : "POST"));
  };

  router.use(`${prefix}/assets`, assetRoute(assets, headers));
  // The description needs no express-session: it holds nothing of the visitor's. One per mount path, built once.
  const descriptions = new Map<string, Record<string, unknown>>();
  const describe = (base: string) => {
    let document = descriptions.get(base);
    if (!document) {
      document = openApiDocument({ base, title: config.title, workflowUrl: config.workflowUrl, trash: trash.enabled, events: config.events !== false, activity: config.activityKeepDays !== false });
      if (descriptions.size < MAX_DESCRIPTIONS) descriptions.set(base, document);
    }
    return document;
  };
  router
    .route(`${prefix}/openapi.json`)
    .all(headers)
    .get(function describeApi(req, res) {
      res.set("Cache-Control", "no-cache").json(describe(`${req.baseUrl}${prefix}`));
    })
    .all(methodNotAllowed("GET, HEAD"));
  route(prefix || "/", "get", purgeLazily, admitSearch, list.showPage);
  route(`${prefix}/list`, "get", purgeLazily, admitSearch, list.showList);
  // The live updates (docs/live-updates.md): one open response per page that follows its list.
  if (config.events) route(`${prefix}/events`, "get", eventRoutes(context, config.events).streamEvents);
  route(`${prefix}/create`, "post", form, csrf, actions.createSession);
  route(`${prefix}/rename`, "post", form, csrf, actions.renameSession);
  route(`${prefix}/delete`, "post", bulkForm, csrf, bulk.deleteSessions);
  route(`${prefix}/confirm`, "post", bulkForm, csrf, bulk.confirmAction);
  if (trash.enabled) {
    route(`${prefix}/restore`, "post", bulkForm, csrf, bulk.restoreSessions);
    route(`${prefix}/purge`, "post", bulkForm, csrf, bulk.purgeSessions);
    route(`${prefix}/trash`, "get", purgeLazily, admitSearch, bulk.showTrash);
    route(`${prefix}/trash/list`, "get", purgeLazily, admitSearch, bulk.showTrashList);
  }
  route(`${prefix}/resume`, "post", form, csrf, actions.resumeSession);
  route(`${prefix}/duplicate`, "post", form, csrf, actions.duplicateSession);
  const pinning = pinRoutes(context, list, pins);
  route(`${prefix}/pin`, "post", form, csrf, pinning.pinSession);
  route(`${prefix}/unpin`, "post", form, csrf, pinning.unpinSession);
  if (config.activityKeepDays !== false) {
    route(`${prefix}/activity`, "get", purgeLazily, activityRoutes(context, new ActivityService({ store, flowId })).showActivity);
  }
  const tagging = tagRoutes(context, list, tags);
  route(`${prefix}/tags`, "post", form, csrf, tagging.setTags);
  route(`${prefix}/tags/add`, "post", bulkForm, csrf, tagging.addTag);
  route(`${prefix}/tags/remove`, "post", bulkForm, csrf, tagging.removeTag);
  router
    .route(`${prefix}/export`)
    .all(headers, varyOnAnswerForm, requireExpressSession, views.ready)
    .get(forwardRejection(transfers.exportSessions))
    .post([...bulkForm, csrf, transfers.exportSessions].map(forwardRejection))
    .all(methodNotAllowed("GET, HEAD, POST"));
  route(`${prefix}/import`, "post", importBody(config.importMaxBytes), csrf, transfers.importSessions);
  // Mounted without a path, so req.baseUrl stays the router's mount path; only the routes above raise errors here.
  router.use(createErrorHandler(config, context.urlsFor, views.context));

  return Object.assign(router, {
    async renderList(req: Request, { mountPath = "", query = {} }: RenderListOptions = {}): Promise<string> {
      if (!req?.session) {
        throw new ConfigurationError("renderList(req) needs express-session on the request: mount app.use(session(...)) before the route that calls it.");
      }
      return list.renderList(req, mountPath, query);
    },
    async activeSessionOf(req: Request): Promise<string | undefined> {
      if (!req?.session) {
        throw new ConfigurationError("activeSessionOf(req) needs express-session on the request: mount app.use(session(...)) before the route that calls it.");
      }
      return context.activeSessionOf(req);
    },
  });
}

/** The most mount paths whose OpenAPI documents a router keeps (a regular-expression mount can have many). */
const MAX_DESCRIPTIONS = 16;

/** A route's handler or middleware: a plain function, or an async one whose rejection is an error for `next()`. */
type Handler = (req: Request, res: Response, next: NextFunction) => unknown;

/**
 * Adapts a handler so that a promise it returns which rejects goes to `next(error)`: Express 5 does this itself, but
 * Express 4, which the package also supports, does not. Applied once, by `route()`, to every handler it registers, so
 * the handlers stay plain named async functions (the adapter keeps the name, for stack traces).
 */
function forwardRejection(handler: Handler): RequestHandler {
  const adapted: RequestHandler = (req, res, next) => {
    const result = handler(req, res, next);
    if (result instanceof Promise) result.catch(next);
  };
  Object.defineProperty(adapted, "name", { value: handler.name });
  return adapted;
}

/**
 * The views the routes render with. A folder of overrides loads in the background from setup on; until it has,
 * `ready` holds requests, and once it has failed, `ready` answers every request with the (logged) error.
 */
function viewLoader(config: ResolvedOptions): ViewLoader & { ready: RequestHandler } {
  // The folder resolves (from the current directory) and the overrides are validated here, at setup.
  const folder = typeof config.views === "string" || config.views instanceof URL ? folderPath(config.views) : undefined;
  let context: ViewContext | undefined = folder === undefined ? contextOf(validateViewOverrides(config.views)) : undefined;
  let failure: ConfigurationError | undefined;
  const loading =
    folder !== undefined
      ? loadViewOverrides(folder).then(
          (overrides) => {
            context = contextOf(overrides);
          },
          (error: unknown) => {
            failure = error instanceof ConfigurationError ? error : new ConfigurationError(`The views folder ${folder} failed to load: ${String(error)}`);
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

const refuseChange: RequestHandler = function refuseChange(req, _res, next) {
  next(new ReadOnlyError(req.method));
};

function methodNotAllowed(allow: string): RequestHandler {
  return function rejectMethod(req, _res, next) {
    next(new MethodNotAllowedError(req.method, allow));
  };
}
