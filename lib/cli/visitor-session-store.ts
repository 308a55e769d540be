import { randomBytes } from "node:crypto";
import session from "express-session";
import { sql, type Kysely } from "kysely";

/** The table that keeps the visitors' express-sessions, beside `workflow_state` in the same database. */
export const VISITOR_SESSIONS_TABLE = "ews_visitor_sessions";
/** The table that keeps the secret the cookies are signed with, so that they stay valid across restarts. */
export const SERVE_SETTINGS_TABLE = "ews_serve_settings";

/** How long a session without a cookie expiry is kept: a day. */
const DEFAULT_LIFETIME_MS = 24 * 60 * 60 * 1000;

/**
 * An express-session store over a table of the workflow-state database itself (SQLite or PostgreSQL, through the
 * store's Kysely instance), so one file holds the sessions and the visitors of the page that manages them. Written
 * in SQL both databases share; `cjm-workflow-state` ignores the extra table. Expired sessions are never returned,
 * and are removed by {@link prune}.
 */
export class DatabaseSessionStore extends session.Store {
  private constructor(private readonly db: Kysely<any>) {
    super();
  }

  /** Creates the tables when they are missing and removes expired sessions. */
  static async open(db: Kysely<any>): Promise<DatabaseSessionStore> {
    await sql`CREATE TABLE IF NOT EXISTS ${sql.table(VISITOR_SESSIONS_TABLE)} (sid TEXT PRIMARY KEY, sess TEXT NOT NULL, expires BIGINT NOT NULL)`.execute(db);
    await sql`CREATE TABLE IF NOT EXISTS ${sql.table(SERVE_SETTINGS_TABLE)} (name TEXT PRIMARY KEY, value TEXT NOT NULL)`.execute(db);
    const store = new DatabaseSessionStore(db);
    await store.prune();
    return store;
  }

  /**
   * The secret the cookies are signed with: kept in the database (made once, at random), so a restart keeps every
   * visitor signed in to their session.
   */
  async secret(): Promise<string> {
    const fresh = randomBytes(32).toString("base64url");
    await sql`INSERT INTO ${sql.table(SERVE_SETTINGS_TABLE)} (name, value) VALUES ('cookie_secret', ${fresh}) ON CONFLICT (name) DO NOTHING`.execute(this.db);
    const { rows } = await sql<{ value: string }>`SELECT value FROM ${sql.table(SERVE_SETTINGS_TABLE)} WHERE name = 'cookie_secret'`.execute(this.db);
    return rows[0]?.value ?? fresh;
  }

  /** Removes every expired session. */
  async prune(): Promise<void> {
    await sql`DELETE FROM ${sql.table(VISITOR_SESSIONS_TABLE)} WHERE expires <= ${Date.now()}`.execute(this.db);
  }

  override get(sid: string, callback: (error: unknown, session?: session.SessionData | null) => void): void {
    sql<{ sess: string; expires: number | string }>`SELECT sess, expires FROM ${sql.table(VISITOR_SESSIONS_TABLE)} WHERE sid = ${sid}`
      .execute(this.db)
      .then(({ rows }) => {
        const row = rows[0];
        if (!row || Number(row.expires) <= Date.now()) return callback(null, null);
        callback(null, JSON.parse(row.sess) as session.SessionData);
      }, callback);
  }

  override set(sid: string, data: session.SessionData, callback?: (error?: unknown) => void): void {
    const text = JSON.stringify(data);
    sql`INSERT INTO ${sql.table(VISITOR_SESSIONS_TABLE)} (sid, sess, expires) VALUES (${sid}, ${text}, ${expiryOf(data)})
        ON CONFLICT (sid) DO UPDATE SET sess = excluded.sess, expires = excluded.expires`
      .execute(this.db)
      .then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  override touch(sid: string, data: session.SessionData, callback?: () => void): void {
    sql`UPDATE ${sql.table(VISITOR_SESSIONS_TABLE)} SET expires = ${expiryOf(data)} WHERE sid = ${sid}`
      .execute(this.db)
      .then(() => callback?.(), () => callback?.());
  }

  override destroy(sid: string, callback?: (error?: unknown) => void): void {
    sql`DELETE FROM ${sql.table(VISITOR_SESSIONS_TABLE)} WHERE sid = ${sid}`
      .execute(this.db)
      .then(() => callback?.(), (error: unknown) => callback?.(error));
  }
}

function expiryOf(data: session.SessionData): number {
  const expires = data.cookie?.expires;
  const time = expires ? new Date(expires).getTime() : NaN;
  return Number.isFinite(time) ? time : Date.now() + DEFAULT_LIFETIME_MS;
}
