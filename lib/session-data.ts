import "express-session";

declare module "express-session" {
  interface SessionData {
    /** The session the user resumed or created last in the session manager; read it in your workflow routes. */
    activeSessionId?: string;
    /** The session manager's CSRF token for this visitor; never send it anywhere but the manager's own pages. */
    workflowSessionsCsrfToken?: string;
  }
}
