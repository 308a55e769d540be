import "express-session";

declare module "express-session" {
  interface SessionData {
    /** The session the user resumed or created last in the session manager; read it in your workflow routes. */
    activeSessionId?: string;
  }
}
