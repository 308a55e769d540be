import type { Request } from "express";
import "express-session";

declare module "express-session" {
  interface SessionData {
    /** The session the user resumed or created last in the session manager; read it in your workflow routes. */
    activeSessionId?: string;
    /** The session manager's CSRF token for this visitor; never send it anywhere but the manager's own pages. */
    workflowSessionsCsrfToken?: string;
    /**
     * The notice of the last action done without JavaScript (set before its 303, shown once by the page after it,
     * then removed): the one-time flash of the session manager.
     */
    workflowSessionsFlash?: {
      kind: "success" | "error" | "info";
      message: string;
      /** After a delete into the trash: the Undo form the notice shows once (see `UndoForm`). */
      undo?: { url: string; sessionIds: readonly string[]; batch?: string | undefined; csrfToken: string } | undefined;
    };
  }
}

/** The format of a session id the routes accept: UUIDs, and ids such as `legacy-0`. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

/** Saves `req.session` now, so the response that follows (a redirect, a list) is sent after its store has it. */
export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}
