import { execFileSync, spawn } from "node:child_process";
import { chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { buildApp, copyFixture, csrfAgent, FLOW, recordingLogger, ROOT } from "./helpers.js";

const P = "/manage/sessions";
const NEWEST = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
const OTHER = "a12c9948-76a9-4cf9-878b-93e298d58571";

/**
 * Starts another process that takes the write lock on `file`, writes a label, holds the lock for `holdMs` and then
 * commits. Resolves once the lock is held; `done` resolves when the process has exited.
 */
function holdWriteLock(file: string, holdMs: number) {
  const script = `
    const db = new (require("better-sqlite3"))(process.argv[1]);
    db.exec("BEGIN IMMEDIATE");
    db.prepare("UPDATE workflow_state SET label = 'by the other writer' WHERE flow_session_key = ?").run(process.argv[2]);
    process.stdout.write("locked\\n");
    setTimeout(() => { db.exec("COMMIT"); db.close(); }, ${holdMs});`;
  const child = spawn(process.execPath, ["-e", script, file, `${FLOW}:${OTHER}`], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const done = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("locked") && resolve());
    child.on("exit", (code) => reject(new Error(`the lock holder exited early (${code})`)));
  });
  return { locked, done };
}

describe("faults", () => {
  describe("when another process holds the write lock and releases it within the busy timeout", () => {
    it("waits for it and then applies the write: nothing is lost on either side", async () => {
      const file = copyFixture("workflow_state.db");
      const store = await createWorkflowStore({ filename: file, busyTimeoutMs: 5000 });
      const agent = await csrfAgent(buildApp({ store }));
      const other = holdWriteLock(file, 1500);
      await other.locked;
      const started = Date.now();
      await agent.post(`${P}/rename`).type("form").send({ session_id: NEWEST, label: "after the wait" }).expect(303);
      // Proof that the lock was still held when the write began: it waited (a wide margin, for loaded machines).
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      expect(await other.done).toBe(0);
      expect((await store.getSessionSummary(FLOW, NEWEST))?.label).toBe("after the wait");
      expect((await store.getSessionSummary(FLOW, OTHER))?.label).toBe("by the other writer");
      await store.close();
    });
  });

  describe("when the store is opened with readonly: true", () => {
    it("still renders the list, answers every write with 503 and a message, and changes nothing", async () => {
      const file = copyFixture("workflow_state.db");
      await (await createWorkflowStore({ filename: file })).close();
      const store = await createWorkflowStore({ filename: file, readonly: true });
      const logger = recordingLogger();
      logger.error = (message: string, ...details: unknown[]) => void logger.errors.push(`${message} ${details.map((d) => (d as Error)?.stack ?? String(d)).join(" ")}`);
      const agent = await csrfAgent(buildApp({ store, logger }));
      const before = await store.listSessions(FLOW);
      expect(before).toHaveLength(24);
      for (const [route, body] of [
        ["create", {}],
        ["rename", { session_id: NEWEST, label: "x" }],
        ["delete", { session_id: NEWEST }],
      ] as const) {
        const res = await agent.post(`${P}/${route}`).set("Accept", "application/json").type("form").send(body);
        if (res.status !== 503) throw new Error(`${route}: ${res.status} ${logger.errors.join("\n")}`);
        expect(res.body.error).toEqual({ code: "store_unavailable", message: expect.stringContaining("busy or read-only right now. Nothing was changed") });
      }
      await agent.post(`${P}/resume`).type("form").send({ session_id: NEWEST }).expect(303);
      expect(await store.listSessions(FLOW)).toEqual(before);
      await store.close();
    });

    it("fails at startup, naming the file, when it is missing or has no table", async () => {
      const missing = join(dirname(copyFixture("workflow_state.db")), "nope.db");
      await expect(createWorkflowStore({ filename: missing, readonly: true })).rejects.toThrow(`"${missing}"`);
      const empty = join(dirname(missing), "empty.db");
      new Database(empty).close();
      await expect(createWorkflowStore({ filename: empty, readonly: true })).rejects.toThrow(`"${empty}" has no workflow_state table`);
    });
  });

  describe("when the file's permissions make it read-only for the server's user", () => {
    // Root ignores file permissions, so under root the server runs as `nobody`; otherwise as the current user.
    it("lists from it, and answers writes with 503 and a message, without the readonly option", () => {
      const file = copyFixture("workflow_state.db");
      const dir = dirname(file);
      chmodSync(dir, 0o777); // SQLite needs to create its lock file next to the database
      chmodSync(file, 0o444);
      const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const out = execFileSync(process.execPath, [join(ROOT, "__tests__", "children", "read-only-app.mjs"), file, NEWEST], {
        cwd: ROOT,
        encoding: "utf8",
        ...asNobody,
      });
      const result = JSON.parse(out.trim().split("\n").pop()!);
      expect(result).toEqual({
        list: 200,
        rows: 24,
        rename: 503,
        renameBody: { error: { code: "store_unavailable", message: expect.stringContaining("read-only") } },
        create: 503,
      });
      const raw = new Database(file, { readonly: true });
      expect(raw.prepare("SELECT label FROM workflow_state WHERE flow_session_key = ?").get(`${FLOW}:${NEWEST}`)).toEqual({ label: "Lecture batch 0" });
      raw.close();
    });
  });
});
