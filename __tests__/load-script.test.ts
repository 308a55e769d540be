import { execFileSync } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { ROOT, tempDir } from "./helpers.js";

const { checkExact, checkAfterCrash, FLOW_ID } = (await import("../scripts/load.mjs")) as {
  checkExact: (users: unknown[], file: string) => Record<string, unknown>;
  checkAfterCrash: (users: unknown[], file: string) => Record<string, unknown>;
  FLOW_ID: string;
};

/** A user model as the load script keeps it, over a real file with the rows the server would have written. */
async function scenario() {
  const file = join(tempDir(), "load.db");
  const store = await createWorkflowStore({ filename: file });
  const kept = await store.createSession(FLOW_ID, { label: "user-0-c0-r1", owner: "user-0" });
  const gone = await store.createSession(FLOW_ID, { label: "user-0-c1", owner: "user-0" });
  await store.deleteSession(FLOW_ID, gone);
  await store.close();
  const user = {
    name: "user-0",
    live: new Map([[kept, "user-0-c0-r1"]]),
    deleted: new Set([gone]),
    deleteAttempted: new Set([gone]),
    createdLabels: ["user-0-c0", "user-0-c1"],
    idToCreateLabel: new Map([[kept, "user-0-c0"], [gone, "user-0-c1"]]),
  };
  return { file, user, kept, gone };
}

function raw(file: string, statement: string, ...params: unknown[]) {
  const db = new Database(file);
  db.prepare(statement).run(...params);
  db.close();
}

describe("npm run load", () => {
  describe("its checker", () => {
    it("passes a database that holds exactly the acknowledged effects", async () => {
      const { file, user } = await scenario();
      expect(checkExact([user], file)).toMatchObject({ integrity: "ok", lostCreates: 0, lostRenames: 0, resurrected: 0, unexpected: 0 });
      expect(checkAfterCrash([user], file)).toMatchObject({ integrity: "ok", acknowledgedCreates: 2, lostCreates: 0, resurrected: 0 });
    });

    it("catches a lost create, a lost rename, a deleted session coming back and an unexpected row", async () => {
      const lost = await scenario();
      raw(lost.file, "DELETE FROM workflow_state WHERE flow_session_key = ?", `${FLOW_ID}:${lost.kept}`);
      expect(checkExact([lost.user], lost.file)).toMatchObject({ lostCreates: 1 });
      expect(checkAfterCrash([lost.user], lost.file)).toMatchObject({ lostCreates: 1 });

      const renamed = await scenario();
      raw(renamed.file, "UPDATE workflow_state SET label = 'user-0-c0' WHERE flow_session_key = ?", `${FLOW_ID}:${renamed.kept}`);
      expect(checkExact([renamed.user], renamed.file)).toMatchObject({ lostRenames: 1 });

      const back = await scenario();
      raw(back.file, "INSERT INTO workflow_state (flow_session_key, state_json, owner) VALUES (?, '{}', 'user-0')", `${FLOW_ID}:${back.gone}`);
      expect(checkExact([back.user], back.file)).toMatchObject({ resurrected: 1 });
      expect(checkAfterCrash([back.user], back.file)).toMatchObject({ resurrected: 1 });

      const extra = await scenario();
      raw(extra.file, "INSERT INTO workflow_state (flow_session_key, state_json, owner) VALUES (?, '{}', 'user-0')", `${FLOW_ID}:stray`);
      expect(checkExact([extra.user], extra.file)).toMatchObject({ unexpected: 1 });
    });
  });

  it("runs end to end in a short smoke run, crash included, with no errors and no lost writes", () => {
    const out = execFileSync(process.execPath, [join(ROOT, "scripts", "load.mjs"), "--duration=1.5", "--connections=4", "--crash-duration=2", "--baseline-duration=0.5", "--json"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    const report = JSON.parse(out.trim().split("\n").pop()!);
    expect(report.load).toMatchObject({ errors: 0, integrity: "ok", lostCreates: 0, lostRenames: 0, resurrected: 0, unexpected: 0 });
    expect(report.load.requests).toBeGreaterThan(20);
    expect(report.crash).toMatchObject({ killedBy: "SIGKILL", integrity: "ok", lostCreates: 0, resurrected: 0, restartedListStatus: 200 });
    expect(report.crash.acknowledgedCreates).toBeGreaterThan(0);
  });
});
