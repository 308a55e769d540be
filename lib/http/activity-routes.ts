import type { Request, Response } from "express";
import type { ActivityCursor, ActivityEvent } from "../session-types.js";
import { InvalidInputError } from "../errors.js";
import { renderView } from "../render/render-view.js";
import type { ActivityService } from "../service/activity-service.js";
import { isHtmx, wantsJson } from "./error-handler.js";
import { csrfTokenFor } from "./csrf.js";
import { sendHtml } from "./html-response.js";
import { sendJson } from "./json-replies.js";
import type { RouteContext } from "./route-context.js";
import { SESSION_ID_PATTERN } from "./session-data.js";

/** The handler of the activity log's page. */
export interface ActivityRoutes {
  /**
   * `GET {prefix}/activity`: the caller's events, newest first, one window of `pageSize`; `session_id` keeps one
   * session's, `cursor` (the `next` of the window before) goes on to older ones. The page; under htmx, its list
   * fragment; with `Accept: application/json`, `{ events, next }`.
   */
  showActivity(req: Request, res: Response): Promise<void>;
}

// A cursor: the stored time of the last event shown, with `T` for the space, `_`, and its id.
const CURSOR = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})_(\d{1,15})$/;

/** The cursor text of an event's place, for `?cursor=`. */
export function cursorText(cursor: ActivityCursor): string {
  return `${cursor.at.replace(" ", "T")}_${cursor.id}`;
}

function cursorFrom(value: unknown): ActivityCursor | undefined {
  if (value === undefined || value === "") return undefined;
  const match = typeof value === "string" ? CURSOR.exec(value) : null;
  if (!match) throw new InvalidInputError("The cursor must be the `next` of an earlier window of the activity log, such as 2026-12-03T13:50:00_42.");
  return { at: `${match[1]} ${match[2]}`, id: Number(match[3]) };
}

function sessionIdOf(value: unknown): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string" || !SESSION_ID_PATTERN.test(value)) throw new InvalidInputError("The session_id must be one session id.");
  return value;
}

function eventJson(event: ActivityEvent) {
  const { id, sessionId, action, label, before, after, at, requestId } = event;
  return { id, session_id: sessionId, action, label, before, after, at: at ? at.toISOString() : null, request_id: requestId };
}

/** Builds the activity log's handler over one manager's {@link RouteContext} and the activity service. */
export function activityRoutes(context: RouteContext, activity: ActivityService): ActivityRoutes {
  const { config, views, urlsFor, scopeOf } = context;
  return {
    async showActivity(req, res) {
      const sessionId = sessionIdOf(req.query.session_id);
      const after = cursorFrom(req.query.cursor);
      const page = await activity.list({ sessionId, after, limit: config.pageSize }, scopeOf(req));
      const next = page.next && cursorText(page.next);
      if (wantsJson(req)) return sendJson(res, 200, { events: page.events.map(eventJson), next: next ?? null });
      const urls = urlsFor(req);
      const data = { events: page.events, sessionId, next, continued: after !== undefined, urls, now: new Date() };
      const viewContext = views.context();
      if (isHtmx(req)) return sendHtml(res, renderView(viewContext.views.activityList(data, viewContext)));
      const content = viewContext.views.activityPage({ ...data, title: config.title }, viewContext);
      sendHtml(res, renderView(viewContext.views.layout({ title: `Activity · ${config.title}`, urls, content, csrfToken: csrfTokenFor(req) }, viewContext)));
    },
  };
}
