import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from "express";
import session from "express-session";
import { CONTENT_SECURITY_POLICY, createSessionManager, type SessionManagerLogger, type SessionManagerRouter, type WorkflowStore } from "../index.js";
import { renderFlowsPage } from "./flows-view.js";
import type { ServeArgs } from "./serve-args.js";

/** The path each flow's manager is mounted under, without `--flow`: `/flows/<flow id>`. */
export const FLOWS_PATH = "/flows";
/** The flows page's stylesheet: the manager's own CSS. */
export const STYLES_PATH = "/styles.css";
/** How long a visitor's session lasts without a visit: a week. */
const SESSION_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** What {@link createServeApp} builds the server from. */
export interface ServeAppOptions {
  store: WorkflowStore;
  args: Pick<ServeArgs, "flow" | "workflowUrl" | "readonly">;
  /** The database as it is shown on the flows page. */
  databaseName: string;
  /** Where visitors' express-sessions are kept. */
  sessionStore: session.Store;
  /** The secret their cookies are signed with. */
  secret: string;
  /**
   * The cookie's name. Browsers send a host's cookies to every port of it, so two servers of different databases on
   * one host need different names, or each would replace the other's cookie (and its CSRF token).
   */
  cookieName: string;
  logger: SessionManagerLogger;
}

/**
 * The `serve` command's Express app: express-session over `sessionStore`, then either the one flow's manager at `/`
 * (`--flow`), or the flows page at `/` and each flow's manager under `/flows/<flow id>`, made the first time the flow
 * is visited (a flow that has no sessions answers 404).
 */
export function createServeApp({ store, args, databaseName, sessionStore, secret, cookieName, logger }: ServeAppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(
    session({
      name: cookieName,
      store: sessionStore,
      secret,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: "lax", maxAge: SESSION_MAX_AGE_MS },
    }),
  );
  const managerFor = (flowId: string, base: string): SessionManagerRouter =>
    createSessionManager({ store, flowId, prefix: "", title: flowId, workflowUrl: args.workflowUrl ?? (base || "/"), readonly: args.readonly, logger });

  if (args.flow !== undefined) {
    app.use(managerFor(args.flow, ""));
  } else {
    const styles = readFileSync(join(packageRoot(), "dist", "public", "app.css"));
    app.get(STYLES_PATH, function sendStyles(_req, res) {
      res.set("Cache-Control", "no-cache").type("text/css").send(styles);
    });
    app.get("/", async function showFlows(_req: Request, res: Response, next: NextFunction) {
      try {
        const flows = await store.listFlows();
        setPageHeaders(res);
        res.type("html").send(renderFlowsPage({ database: databaseName, flows, flowUrl: (flowId) => flowPath(flowId), stylesUrl: STYLES_PATH }));
      } catch (error) {
        next(error);
      }
    });
    app.use(`${FLOWS_PATH}/:flow`, flowManagers(store, (flowId) => managerFor(flowId, flowPath(flowId))));
  }
  app.use(function notFound(_req, res) {
    setPageHeaders(res);
    res.status(404).type("text").send("Not found.");
  });
  app.use(function serveErrorHandler(error, req, res, _next) {
    logger.error(`express-workflow-sessions serve: ${req.method} ${req.originalUrl} failed`, error);
    setPageHeaders(res);
    res.status(500).type("text").send("Something went wrong on the server; its log has details.");
  } satisfies ErrorRequestHandler);
  return app;
}

/** The manager page of a flow, without `--flow`. */
export function flowPath(flowId: string): string {
  return `${FLOWS_PATH}/${encodeURIComponent(flowId)}`;
}

/** Hands `/flows/<flow id>/…` to that flow's manager, made once; a flow that has no sessions (yet) is not found. */
function flowManagers(store: WorkflowStore, create: (flowId: string) => SessionManagerRouter): RequestHandler {
  const managers = new Map<string, SessionManagerRouter>();
  return async function routeToFlow(req, res, next) {
    try {
      const flowId = req.params.flow;
      if (typeof flowId !== "string" || flowId === "" || flowId.includes(":")) return next();
      let manager = managers.get(flowId);
      if (!manager) {
        if ((await store.countSessions(flowId, { limit: 1 })) === 0) return next();
        manager = managers.get(flowId) ?? create(flowId);
        managers.set(flowId, manager);
      }
      manager(req, res, next);
    } catch (error) {
      next(error);
    }
  };
}

function setPageHeaders(res: Response): void {
  res.set({ "Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" });
}

/** The package's own folder, found as a host finds it: through its `package.json` export (a self-reference). */
function packageRoot(): string {
  return dirname(createRequire(import.meta.url).resolve("express-workflow-sessions/package.json"));
}
