import type { Request, Response } from "express";
import type { PinService } from "../service/pin-service.js";
import { actionAnswer, sessionIdFrom } from "./action-answer.js";
import { etagOf } from "./conditional-requests.js";
import { sessionJson } from "./json-replies.js";
import type { ListRoutes } from "./list-routes.js";
import type { RouteContext } from "./route-context.js";

/** The handlers of pinning; each runs after the body is parsed and the CSRF check passed. */
export interface PinRoutes {
  /**
   * `POST {prefix}/pin`: pins `session_id` for the caller, last in the Pinned section (a pinned one keeps its
   * place). 409 `pin_limit` past the limit; 404 for a session that is not the caller's. JSON: the item, `pinned: true`.
   */
  pinSession(req: Request, res: Response): Promise<void>;
  /** `POST {prefix}/unpin`: unpins `session_id` (idempotent). JSON: the item, `pinned: false`. */
  unpinSession(req: Request, res: Response): Promise<void>;
}

/** Builds the pin handlers over one manager's {@link RouteContext}; they answer as the other actions do. */
export function pinRoutes(context: RouteContext, list: ListRoutes, pins: PinService): PinRoutes {
  const finish = actionAnswer(context, list);
  const answer = async (req: Request, res: Response, pinned: boolean) => {
    const scope = context.scopeOf(req);
    const sessionId = sessionIdFrom(req);
    const item = pinned ? await pins.pin(sessionId, scope) : await pins.unpin(sessionId, scope);
    const message = pinned ? `Pinned “${item.displayLabel}”.` : `Unpinned “${item.displayLabel}”.`;
    await finish(req, res, { kind: "success", message }, () => ({
      status: 200,
      body: { ...sessionJson(item, req.session.activeSessionId), pinned },
      headers: { ETag: etagOf(item.version) },
    }));
  };
  return {
    pinSession: (req, res) => answer(req, res, true),
    unpinSession: (req, res) => answer(req, res, false),
  };
}
