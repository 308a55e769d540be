import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { copyFixture, ROOT } from "./helpers.js";

const FLOW = "structure_decomposition";
const WRITES = join(ROOT, "__tests__", "python", "workflow_state_writes.py");

/**
 * What cjm-workflow-state's queries see of one session, read with Python's sqlite3: whether its get-by-key finds the
 * row, whether the flow's listing (its `LIKE 'flow:%'` scan) lists it, and every column as SQLite's type and bytes.
 */
const SEES = `
import json, sqlite3, sys
path, flow, *sids = sys.argv[1:]
conn = sqlite3.connect(path)
listed = [r[0] for r in conn.execute("SELECT flow_session_key FROM workflow_state WHERE flow_session_key LIKE ? ORDER BY updated_at DESC", (f"{flow}:%",))]
cols = ["flow_session_key", "current_step", "state_json", "created_at", "updated_at", "label", "owner"]
seen = []
for sid in sids:
    key = f"{flow}:{sid}"
    row = conn.execute("SELECT state_json FROM workflow_state WHERE flow_session_key = ?", (key,)).fetchone()
    raw = conn.execute("SELECT " + ", ".join(f"typeof({c}), hex({c})" for c in cols) + " FROM workflow_state WHERE flow_session_key = ?", (key,)).fetchone()
    seen.append({"found": row is not None, "listed": key in listed, "row": raw})
print(json.dumps(seen))
`;

type Seen = { found: boolean; listed: boolean; row: string[] | null };

function pythonSeesAll(file: string, sessionIds: readonly string[]): Seen[] {
  return JSON.parse(execFileSync("python3", ["-c", SEES, file, FLOW, ...sessionIds], { encoding: "utf8" }));
}

function pythonSees(file: string, sessionId: string): Seen {
  return pythonSeesAll(file, [sessionId])[0]!;
}

describe("a session in the trash, as cjm-workflow-state (Python sqlite3) sees it", () => {
  it("is invisible to its queries while trashed, and comes back byte-identical on restore", async () => {
    const file = copyFixture("workflow_state.db");
    const store = await createWorkflowStore({ filename: file });
    const id = await store.createSession(FLOW, { label: "Written by Python", owner: "alice" });
    // Python writes state, step and label, with its own json.dumps and CURRENT_TIMESTAMP.
    execFileSync("python3", [WRITES, file, FLOW, id], { encoding: "utf8" });
    const before = pythonSees(file, id);
    expect(before).toMatchObject({ found: true, listed: true });

    await store.trashSessions(FLOW, [id], { owner: "alice" });
    expect(pythonSees(file, id)).toEqual({ found: false, listed: false, row: null });

    await store.restoreSessions(FLOW, [id], { owner: "alice" });
    expect(pythonSees(file, id)).toEqual(before);
    await store.close();
  });

  it("also keeps a fixture row that Python wrote byte for byte through delete and restore", async () => {
    const file = copyFixture("workflow_state.db");
    const store = await createWorkflowStore({ filename: file });
    const ids = (await store.listSessions(FLOW, {})).map((s) => s.sessionId);
    const before = pythonSeesAll(file, ids);
    await store.trashMatching(FLOW, { search: "" });
    expect(pythonSeesAll(file, ids).map((seen) => seen.found || seen.listed)).toEqual(ids.map(() => false));
    await store.restoreMatching(FLOW, {});
    expect(pythonSeesAll(file, ids)).toEqual(before);
    await store.close();
  });
});
