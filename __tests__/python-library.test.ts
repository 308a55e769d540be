import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { copyFixture, ROOT } from "./helpers.js";

const FLOW = "structure_decomposition";
const WRITES = join(ROOT, "__tests__", "python", "workflow_state_writes.py");

interface PythonRow {
  method: string;
  owner: string | null;
  label: string | null;
  step: string | null;
  state: Record<string, unknown>;
}

/** Runs every write method of cjm-workflow-state on one session with python3; one row report per method. */
function writeFromPython(file: string, sessionId: string): PythonRow[] {
  return execFileSync("python3", [WRITES, file, FLOW, sessionId], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as PythonRow);
}

describe("a session that cjm-workflow-state writes after this package stamped its owner", () => {
  it("keeps its owner through every write method of the Python library", async () => {
    const file = copyFixture("workflow_state.db");
    const store = await createWorkflowStore({ filename: file });
    const id = await store.createSession(FLOW, { label: "Alice's", owner: "alice" });
    await store.close();

    const rows = writeFromPython(file, id);
    expect(rows.map(({ method, owner }) => [method, owner])).toEqual([
      ["set_current_step", "alice"],
      ["update_state", "alice"],
      ["update_step_state", "alice"],
      ["clear_step_state", "alice"],
      ["set_session_label", "alice"],
    ]);
  });

  it("stays visible to its owner only, with what Python wrote", async () => {
    const file = copyFixture("workflow_state.db");
    const store = await createWorkflowStore({ filename: file });
    const id = await store.createSession(FLOW, { label: "Alice's", owner: "alice" });
    writeFromPython(file, id);

    const alice = { owner: "alice" };
    expect(await store.getSessionSummary(FLOW, id, alice)).toMatchObject({ label: "Renamed in Python", currentStep: "review" });
    expect(await store.getState(FLOW, id)).toEqual({ from_python: true, _step_review: { visited: true } });
    const listed = await store.listSessions(FLOW, { owner: "alice" });
    expect(listed.map((summary) => summary.sessionId)).toEqual([id]);
    expect(await store.getSessionSummary(FLOW, id, { owner: "bob" })).toBeUndefined();
    await store.close();
  });
});

describe("a session that cjm-workflow-state creates", () => {
  it("has no owner: with an owner scope nobody sees it until setSessionOwner() stamps it", async () => {
    const file = copyFixture("workflow_state.db");
    // create_session's statement: a plain INSERT of the key and the label.
    const create = "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute('INSERT INTO workflow_state (flow_session_key, label) VALUES (?, ?)', (sys.argv[2], 'From Python'))\nc.commit()";
    const store = await createWorkflowStore({ filename: file });
    execFileSync("python3", ["-c", create, file, `${FLOW}:from-python`]);

    expect(await store.getSessionSummary(FLOW, "from-python", { owner: "alice" })).toBeUndefined();
    expect((await store.getSessionSummary(FLOW, "from-python"))?.label).toBe("From Python");
    expect(await store.setSessionOwner(FLOW, "from-python", "alice")).toBe(true);
    expect((await store.getSessionSummary(FLOW, "from-python", { owner: "alice" }))?.label).toBe("From Python");
    await store.close();
  });
});
