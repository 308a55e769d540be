import { execFileSync } from "node:child_process";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { buildApp, copyFixture, csrfAgent, decoded, FLOW } from "./helpers.js";

const P = "/manage/sessions";

/**
 * cjm-workflow-state's `update_state`, statement for statement (see python/workflow_state_writes.py), followed by
 * putting `updated_at` back to what it was: exactly what the file holds after two writes within one second, since
 * SQLite's CURRENT_TIMESTAMP has one-second resolution.
 */
const UPDATE_STATE_SAME_SECOND = `
import json, sqlite3, sys
path, key = sys.argv[1:3]
conn = sqlite3.connect(path)
before, state = conn.execute("SELECT updated_at, state_json FROM workflow_state WHERE flow_session_key = ?", (key,)).fetchone()
state = json.loads(state) if state else {}
state.update({"from_python": 1})
conn.execute(
    "INSERT INTO workflow_state (flow_session_key, state_json) VALUES (?, ?) "
    "ON CONFLICT(flow_session_key) DO UPDATE SET state_json = excluded.state_json, updated_at = CURRENT_TIMESTAMP",
    (key, json.dumps(state)),
)
conn.execute("UPDATE workflow_state SET updated_at = ? WHERE flow_session_key = ?", (before, key))
conn.commit()
print(conn.execute("SELECT updated_at FROM workflow_state WHERE flow_session_key = ?", (key,)).fetchone()[0] == before)
`;

const LABEL_OF = `
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
print(conn.execute("SELECT label FROM workflow_state WHERE flow_session_key = ?", (sys.argv[2],)).fetchone()[0])
`;

describe("a rename after the Python library's update_state in the same second", () => {
  it("answers 409 for the version shown before, and renames with the version shown after", async () => {
    const file = copyFixture("workflow_state.db");
    const store = await createWorkflowStore({ filename: file });
    try {
      const id = await store.createSession(FLOW, { label: "Shared" });
      const app = buildApp({ store });
      const agent = await csrfAgent(app);
      const versionShown = async () => new RegExp(`data-session-id="${id}"[^>]*data-session-version="([^"]+)"`).exec((await agent.get(P).expect(200)).text)![1]!;
      const before = await versionShown();

      const sameSecond = execFileSync("python3", ["-c", UPDATE_STATE_SAME_SECOND, file, `${FLOW}:${id}`], { encoding: "utf8" }).trim();
      expect(sameSecond).toBe("True");

      const stale = await agent.post(`${P}/rename`).set("HX-Request", "true").type("form").send({ session_id: id, version: before, label: "Mine" }).expect(409);
      expect(decoded(stale.text)).toContain("This session was updated (its progress was saved) since the list was shown");
      expect((await store.getSessionSummary(FLOW, id))?.label).toBe("Shared");

      const after = await versionShown();
      expect(after).not.toBe(before);
      await agent.post(`${P}/rename`).set("HX-Request", "true").type("form").send({ session_id: id, version: after, label: "Mine" }).expect(200);
      expect(execFileSync("python3", ["-c", LABEL_OF, file, `${FLOW}:${id}`], { encoding: "utf8" }).trim()).toBe("Mine");
      expect(await store.getState(FLOW, id)).toEqual({ from_python: 1 });
    } finally {
      await store.close();
    }
  });
});
