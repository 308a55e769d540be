import type { Request, Response } from "express";
import { listStateQuery, withListState } from "../list-state.js";
import { actionAnswer, sessionIdFrom, singleField } from "./action-answer.js";
import { isHtmx, wantsJson } from "./error-handler.js";
import { sendJson, sessionJson } from "./json-replies.js";
import { tagFields } from "./tag-routes.js";
import type { ListRoutes } from "./list-routes.js";
import type { RouteContext } from "./route-context.js";
import { csrfTokenFor, CSRF_FIELD } from "./csrf.js";
import { etagOf, ifMatchVersion } from "./conditional-requests.js";
import { saveSession } from "./session-data.js";

/**
 * The handlers of the manager's POST actions; each runs after the body (a form or JSON) is parsed and the CSRF check
 * passed. With `Accept: application/json` each answers JSON, as `lib/http/api-description.ts` describes.
 */
export interface ActionRoutes {
  /** `POST {prefix}/create`: creates a session with the optional `label` and makes it active. JSON: 201, the item, `Location`. */
  createSession(req: Request, res: Response): Promise<void>;
  /** `POST {prefix}/rename`: sets `session_id`'s label to `label` (empty clears it). JSON: the item. */
  renameSession(req: Request, res: Response): Promise<void>;
  /** `POST {prefix}/resume`: makes `session_id` active and sends the visitor to the `workflowUrl`. JSON: `{ activeSessionId, redirect }`. */
  resumeSession(req: Request, res: Response): Promise<void>;
  /**
   * `POST {prefix}/duplicate`: copies `session_id` (step and state bytes) as "Copy of …"; the notice offers Resume.
   * JSON: 201, the copy, `Location`.
   */
  duplicateSession(req: Request, res: Response): Promise<void>;
}

/**
 * Builds the action handlers over one manager's {@link RouteContext}. Under htmx an action answers with the list and
 * its notice; without JavaScript, with a 303 back to the list as it was, the notice waiting in the session; with
 * `Accept: application/json`, with its JSON answer. Rename, delete, duplicate and resume take an optional `version`
 * field (or, from JSON clients, `If-Match` with the item's `ETag`): when the session has changed since, they answer
 * 409 (412 for `If-Match`) and change nothing. Each hands `req` to the hooks.
 */
export function actionRoutes({ config, service, tags, urlsFor, scopeOf, activeSessionOf }: RouteContext, list: ListRoutes): ActionRoutes {
  // The list searched by a session's id, which holds exactly that session: the `Location` of a new one.
  const listLocationOf = (req: Request, sessionId: string) =>
    withListState(urlsFor(req).page, listStateQuery({ orderBy: "updated_at", descending: true, search: sessionId }));

  const finish = actionAnswer({ config, urlsFor }, list);

  return {
    async createSession(req, res) {
      const scope = scopeOf(req);
      const sessionId = await service.create(singleField(req.body, "label"), scope, { request: req });
      req.session.activeSessionId = sessionId;
      const item = await service.getItem(sessionId, scope);
      await finish(req, res, { kind: "success", message: `Created “${item.displayLabel}”.` }, () => ({
        status: 201,
        body: sessionJson(item, sessionId),
        headers: { ETag: etagOf(item.version), Location: listLocationOf(req, sessionId) },
      }));
    },

    async renameSession(req, res) {
      const scope = scopeOf(req);
      const sessionId = sessionIdFrom(req);
      // The rename dialog sends the session's tags too (`edit_tags=1`, the set as `tag` fields): checked before the
      // rename, set after it. The list answered keeps the filter of the query.
      const newTags = singleField(req.body, "edit_tags") === "1" ? tags.checked(tagFields(req.body)) : undefined;
      if (newTags) delete (req.body as Record<string, unknown>).tag;
      let item = await service.rename(sessionId, singleField(req.body, "label") ?? "", scope, actionOptions(req));
      if (newTags) item = await tags.setTags(sessionId, newTags, scope);
      await finish(req, res, { kind: "success", message: `Renamed to “${item.displayLabel}”.` }, () => ({
        status: 200,
        body: sessionJson(item, req.session.activeSessionId),
        headers: { ETag: etagOf(item.version) },
      }));
    },

    async resumeSession(req, res) {
      const scope = scopeOf(req);
      await service.resume(sessionIdFrom(req), scope, {
        ...actionOptions(req),
        async activate(sessionId) {
          req.session.activeSessionId = sessionId;
          await saveSession(req);
        },
      });
      if (wantsJson(req)) sendJson(res, 200, { activeSessionId: req.session.activeSessionId, redirect: config.workflowUrl });
      else if (isHtmx(req)) res.set("HX-Redirect", config.workflowUrl).status(204).end();
      else res.redirect(303, config.workflowUrl);
    },

    async duplicateSession(req, res) {
      const scope = scopeOf(req);
      const copy = await service.duplicate(sessionIdFrom(req), scope, actionOptions(req));
      // The notice's Resume is a plain form of its own: it posts the copy's id with the visitor's token.
      const action = { label: "Resume", url: urlsFor(req).resume, fields: { session_id: copy.sessionId, version: copy.version, [CSRF_FIELD]: csrfTokenFor(req) } };
      await finish(req, res, { kind: "success", message: `Created “${copy.displayLabel}”.`, action }, () => ({
        status: 201,
        body: sessionJson(copy, req.session.activeSessionId),
        headers: { ETag: etagOf(copy.version), Location: listLocationOf(req, copy.sessionId) },
      }));
    },
  };
}

/**
 * The request for the hooks, and the version the action expects: `If-Match` (a JSON client's, from the item's
 * `ETag`), else the `version` field the form was rendered with; neither, and the action goes ahead as today. A stale
 * `If-Match` answers 412 rather than the form's 409.
 */
function actionOptions(req: Request): { request: Request; expectedVersion: string | undefined } {
  const ifMatch = ifMatchVersion(req);
  if (ifMatch !== undefined) return { request: req, expectedVersion: ifMatch };
  // The form's field, or the `version` in the query of a row button's `formaction` (views/row.ts).
  const version = (singleField(req.body, "version") ?? singleField(req.query, "version"))?.trim();
  return { request: req, expectedVersion: version === undefined || version === "" ? undefined : version };
}
