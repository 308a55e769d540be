// A small persistent express-session store on better-sqlite3, so demo visitors keep their active session across
// restarts. Expired sessions are swept every 15 minutes on a timer that never keeps the process alive.
import session from "express-session";

const DAY_MS = 24 * 3600 * 1000;

export class SqliteSessionStore extends session.Store {
  /** @param {import("better-sqlite3").Database} db */
  constructor(db) {
    super();
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE IF NOT EXISTS sessions (sid TEXT PRIMARY KEY, sess TEXT NOT NULL, expires INTEGER NOT NULL)");
    this.statements = {
      get: db.prepare("SELECT sess FROM sessions WHERE sid = ? AND expires > ?"),
      set: db.prepare("INSERT INTO sessions (sid, sess, expires) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET sess = excluded.sess, expires = excluded.expires"),
      touch: db.prepare("UPDATE sessions SET expires = ? WHERE sid = ?"),
      destroy: db.prepare("DELETE FROM sessions WHERE sid = ?"),
      sweep: db.prepare("DELETE FROM sessions WHERE expires <= ?"),
    };
    this.sweeper = setInterval(() => this.statements.sweep.run(Date.now()), 15 * 60 * 1000);
    this.sweeper.unref();
  }

  expiry(sess) {
    const expires = sess?.cookie?.expires;
    return expires ? new Date(expires).getTime() : Date.now() + DAY_MS;
  }

  get(sid, callback) {
    try {
      const row = this.statements.get.get(sid, Date.now());
      callback(null, row ? JSON.parse(row.sess) : null);
    } catch (error) {
      callback(error);
    }
  }

  set(sid, sess, callback) {
    try {
      this.statements.set.run(sid, JSON.stringify(sess), this.expiry(sess));
      callback?.(null);
    } catch (error) {
      callback?.(error);
    }
  }

  touch(sid, sess, callback) {
    try {
      this.statements.touch.run(this.expiry(sess), sid);
      callback?.(null);
    } catch (error) {
      callback?.(error);
    }
  }

  destroy(sid, callback) {
    try {
      this.statements.destroy.run(sid);
      callback?.(null);
    } catch (error) {
      callback?.(error);
    }
  }

  close() {
    clearInterval(this.sweeper);
  }
}
