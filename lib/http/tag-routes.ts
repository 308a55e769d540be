import type { Request, Response } from "express";
import { InvalidInputError } from "../errors.js";
import type { TagService } from "../service/tag-service.js";
import { actionAnswer, sessionIdFrom } from "./action-answer.js";
import { etagOf } from "./conditional-requests.js";
import { sessionJson } from "./json-replies.js";
import type { ListRoutes } from "./list-routes.js";
import type { RouteContext } from "./route-context.js";

/** The handlers of tagging; each runs after the body is parsed and the CSRF check passed. */
export interface TagRoutes {
  /**
   * `POST {prefix}/tags`: replaces the tags of `session_id` with the `tag` fields (repeated; none clears them; blank
   * ones are ignored). 400 for more than 20 or a bad tag; 404 for a session that is not the caller's. JSON: the item
   * with its `tags` as stored.
   */
  setTags(req: Request, res: Response): Promise<void>;
}

/** The body's `tag` fields, once or repeated, as text; blank ones (an empty chip input) left out. */
export function tagFields(body: unknown): string[] {
  const raw = (body as Record<string, unknown> | undefined)?.tag;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  // The body's size bounds the fields; duplicates collapse, so the store counts the tags (at most MAX_TAGS).
  return values.map((value) => {
    if (typeof value !== "string") throw new InvalidInputError("Send each tag as text.");
    return value;
  }).filter((value) => value.trim() !== "");
}

/** Builds the tag handlers over one manager's {@link RouteContext}; they answer as the other actions do. */
export function tagRoutes(context: RouteContext, list: ListRoutes, tags: TagService): TagRoutes {
  const finish = actionAnswer(context, list);
  return {
    async setTags(req, res) {
      const scope = context.scopeOf(req);
      const sessionId = sessionIdFrom(req);
      const item = await tags.setTags(sessionId, tagFields(req.body), scope);
      // The body's `tag` fields were the session's; the list answered comes back with the filter of the query.
      delete (req.body as Record<string, unknown>).tag;
      const message = item.tags!.length === 0 ? `Cleared the tags of “${item.displayLabel}”.` : `Tagged “${item.displayLabel}”: ${item.tags!.join(", ")}.`;
      await finish(req, res, { kind: "success", message }, () => ({
        status: 200,
        body: { ...sessionJson(item, req.session.activeSessionId), tags: item.tags },
        headers: { ETag: etagOf(item.version) },
      }));
    },
  };
}
