import type { Request, Response } from "express";
import type { Notice } from "../../views/view-data.js";
import { InvalidInputError } from "../errors.js";
import { listParamsFrom, listStateQuery, withListState } from "../list-state.js";
import { isHtmx } from "./error-handler.js";
import type { ListRoutes } from "./list-routes.js";
import type { RouteContext } from "./route-context.js";
import { saveSession, SESSION_ID_PATTERN } from "./session-data.js";

/** The handlers of the manager's POST actions; each runs after the form body is parsed and the CSRF check passed. */
export interface ActionRoutes {
  /** `POST {prefix}/create`: creates a session with the optional `label` and makes it active. */
  createSession(req: Request, res: Response): Promise<void>;
  /** `POST {prefix}/rename`: sets `session_id`'s label to `label` (empty clears it). */
  renameSession(req: Request, res: Response): Promise<void>;
  /** `POST {prefix}/resume`: makes `session_id` active and sends the visitor to the `workflowUrl`. */
  resumeSession(req: Request, res: Response): Promise<void>;
}

/**
 * Builds the action handlers over one manager's {@link RouteContext}. Under htmx an action answers with the list and
 * its notice; without JavaScript, with a 303 back to the list as it was, the notice waiting in the session.
 */
export function actionRoutes({ config, service, urlsFor, scopeOf, activeSessionOf }: RouteContext, list: ListRoutes): ActionRoutes {
  const finish = async (req: Request, res: Response, notice: Notice) => {
    // Without JavaScript the notice waits in the session for the page the 303 leads to, which shows it once.
    if (!isHtmx(req)) req.session.workflowSessionsFlash = notice;
    await saveSession(req);
    if (isHtmx(req)) await list.sendList(req, res, notice);
    // Without JavaScript, back to the list as it was: the dialog's form carries its state in the action's query.
    else res.redirect(303, withListState(urlsFor(req).page, listStateQuery(listParamsFrom(req.query, config.pageSize).query)));
  };

  return {
    async createSession(req, res) {
      const scope = scopeOf(req);
      const sessionId = await service.create(singleField(req.body, "label"), scope);
      req.session.activeSessionId = sessionId;
      const item = await service.getItem(sessionId, scope);
      await finish(req, res, { kind: "success", message: `Created “${item.displayLabel}”.` });
    },

    async renameSession(req, res) {
      const scope = scopeOf(req);
      const sessionId = sessionIdFrom(req);
      const item = await service.rename(sessionId, singleField(req.body, "label") ?? "", scope);
      await finish(req, res, { kind: "success", message: `Renamed to “${item.displayLabel}”.` });
    },

    async resumeSession(req, res) {
      const scope = scopeOf(req);
      req.session.activeSessionId = await service.resume(sessionIdFrom(req), scope);
      await saveSession(req);
      if (isHtmx(req)) res.set("HX-Redirect", config.workflowUrl).status(204).end();
      else res.redirect(303, config.workflowUrl);
    },
  };
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
