import type { Request, Response } from "express";
import type { Notice } from "../../views/view-data.js";
import { InvalidInputError } from "../errors.js";
import { listParamsFrom, listStateQuery, withListState } from "../list-state.js";
import { isHtmx, wantsJson } from "./error-handler.js";
import { sendJson } from "./json-replies.js";
import type { ListRoutes } from "./list-routes.js";
import type { RouteContext } from "./route-context.js";
import { saveSession, SESSION_ID_PATTERN } from "./session-data.js";

/** What an action answers a JSON client: a status, a body, and headers such as `Location`. */
export interface JsonAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Sends an action's answer in the form the request asks for; see {@link actionAnswer}. */
export type ActionAnswer = (req: Request, res: Response, notice: Notice, json: () => JsonAnswer) => Promise<void>;

/**
 * The one way an action on the list answers: under htmx with the list and its notice; without JavaScript with a 303
 * back to the list as it was, the notice waiting in the session; with `Accept: application/json`, with `json()`.
 */
export function actionAnswer({ config, urlsFor }: Pick<RouteContext, "config" | "urlsFor">, list: Pick<ListRoutes, "sendList">): ActionAnswer {
  return async (req, res, notice, json) => {
    if (wantsJson(req)) {
      await saveSession(req);
      const { status, body, headers = {} } = json();
      res.set(headers);
      return sendJson(res, status, body);
    }
    // Without JavaScript the notice waits in the session for the page the 303 leads to, which shows it once.
    if (!isHtmx(req)) req.session.workflowSessionsFlash = notice;
    await saveSession(req);
    if (isHtmx(req)) await list.sendList(req, res, notice);
    // Without JavaScript, back to the list as it was: the dialog's form carries its state in the action's query.
    else res.redirect(303, withListState(urlsFor(req).page, listStateQuery(listParamsFrom(req.query, config.pageSize).query)));
  };
}

/** The form's or JSON body's field `name`, sent once as text; `undefined` when absent. */
export function singleField(body: unknown, name: string): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new InvalidInputError(`Send the field "${name}" once, as text.`);
  return value;
}

/** The body's `session_id`, required and well formed; throws {@link InvalidInputError} otherwise. */
export function sessionIdFrom(req: Request): string {
  const sessionId = singleField(req.body, "session_id")?.trim();
  if (!sessionId) throw new InvalidInputError("The field session_id is required.");
  if (!SESSION_ID_PATTERN.test(sessionId)) throw new InvalidInputError("The field session_id is not a valid session id.");
  return sessionId;
}
