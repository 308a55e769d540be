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
    workflowSessionsFlash?: { kind: "success" | "error" | "info"; message: string };
  }
}
