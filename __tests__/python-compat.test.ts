import { execFileSync } from "node:child_process";
import express from "express";
import session from "express-session";
import { sql } from "kysely";
import { createSessionManager } from "../lib/http/create-session-manager.js";
import { CorruptStateError, InvalidInputError } from "../lib/errors.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { FLOW, backends, csrfAgent, recordingLogger, type Backend, type TestDatabase } from "./helpers.js";

/** Runs a Python 3 script (with `sys.argv[1:]` = `args`, and `input` on stdin) and returns what it printed. */
function python(script: string, args: readonly string[] = [], input?: string): string {
  return execFileSync("python3", ["-c", script, ...args], { encoding: "utf8", input }).trim();
}

/**
 * A state that `cjm-workflow-state` writes with `json.dumps` and that JSON.parse cannot hold: an integer beyond 64
 * bits, NaN and the infinities (Python writes them by default), a file name that is not UTF-8 as `os.fsdecode`
 * gives it (a lone surrogate, written as the escape `\udce9`), and a key holding NUL.
 */
const PYTHON_STATE = `{
  "big": 10**20 + 1,
  "negative_big": -(2**70),
  "nan": float("nan"),
  "inf": float("inf"),
  "ninf": float("-inf"),
  "path": os.fsdecode(b"/media/caf\\xe9.wav"),
  "nul\\x00key": "x",
  "float": 0.1,
  "neg0": -0.0,
  "tiny": 5e-324,
  "text": "caf\\u00e9 \\u2713 \\U0001f600",
  "_step_review": {"visited": True, "count": 10**20 + 1, "nan": float("nan")},
  "_step_selection": {"files": [os.fsdecode(b"caf\\xe9")]},
}`;

/** `json.dumps(PYTHON_STATE)`, exactly as Python writes it into `state_json`. */
const pythonText = python(`import json, os\nprint(json.dumps(${PYTHON_STATE}))`);

/** Python code that compares `state` (as Python read it) with `expected`, printing `same` or both, sorted. */
const SAME = `
a, b = json.dumps(state, sort_keys=True), json.dumps(expected, sort_keys=True)
print("same" if a == b else a + "\\n!=\\n" + b)`;

/** The stored `state_json` of a session, read through SQL. */
async function storedText(store: WorkflowStore, sessionId: string): Promise<string | null> {
  const row = await store.db
    .selectFrom("workflow_state")
    .select(["state_json"])
    .where("flow_session_key", "=", `${FLOW}:${sessionId}`)
    .executeTakeFirstOrThrow();
  return row.state_json;
}

/**
 * Runs Python `code` with `state` bound to the session's state as Python reads it: on SQLite, from the file through
 * Python's own sqlite3 (which refuses text that is not UTF-8, as `get_state` does); on PostgreSQL, from the text SQL
 * gives. `json` and `math` are imported.
 */
async function withPythonState(backend: Backend, database: TestDatabase, store: WorkflowStore, sessionId: string, code: string): Promise<string> {
  if (backend.name === "sqlite") {
    const read = `import sqlite3, json, math, sys
c = sqlite3.connect(sys.argv[1])
state = json.loads(c.execute("SELECT state_json FROM workflow_state WHERE flow_session_key = ?", (sys.argv[2],)).fetchone()[0])`;
    return python(`${read}\n${code}`, [database.location, `${FLOW}:${sessionId}`]);
  }
  return python(`import json, math, sys\nstate = json.loads(sys.stdin.read())\n${code}`, [], (await storedText(store, sessionId)) ?? "{}");
}

/** Writes a row as `cjm-workflow-state` does: Python's sqlite3 on SQLite, the same text through SQL on PostgreSQL. */
async function writeAsPython(backend: Backend, database: TestDatabase, store: WorkflowStore, sessionId: string, text: string): Promise<void> {
  const key = `${FLOW}:${sessionId}`;
  if (backend.name === "sqlite") {
    python(
      `import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT OR REPLACE INTO workflow_state (flow_session_key, current_step, state_json, label) VALUES (?, 'selection', ?, 'From Python')", (sys.argv[2], sys.stdin.read()))
c.commit()`,
      [database.location, key],
      text,
    );
  } else {
    await sql`INSERT INTO workflow_state (flow_session_key, current_step, state_json, label) VALUES (${key}, 'selection', ${text}, 'From Python')`.execute(store.db);
  }
}

describe.each(backends)("state that cjm-workflow-state wrote, merged on $name", (backend) => {
  async function pythonRow(text = pythonText) {
    const database = await backend.database();
    const store = await database.open();
    await writeAsPython(backend, database, store, "py", text);
    return { database, store, id: "py" };
  }

  describe("updateState(), updateStepState(), setCurrentStep() and clearStepState()", () => {
    it("change only the bytes of the keys they touch, so Python reads every other value back exactly", async () => {
      const { database, store, id } = await pythonRow();
      await store.updateState(FLOW, id, { added: "from TypeScript", float: 0.5 });
      await store.updateStepState(FLOW, id, "review", { notes: "ok" });
      await store.setCurrentStep(FLOW, id, "review");
      await store.clearStepState(FLOW, id, "selection");

      expect(await storedText(store, id)).toBe(
        pythonText
          .replace('"float": 0.1', '"float": 0.5')
          .replace('"nan": NaN}', '"nan": NaN, "notes": "ok"}')
          .replace(/, "_step_selection": \{[^}]*\}/, "")
          .replace(/\}$/, ', "added": "from TypeScript"}'),
      );
      const expected = `import os
expected = ${PYTHON_STATE}
expected.update({"added": "from TypeScript", "float": 0.5})
expected["_step_review"]["notes"] = "ok"
del expected["_step_selection"]`;
      expect(await withPythonState(backend, database, store, id, `${expected}\n${SAME}`)).toBe("same");
      expect(await store.getCurrentStep(FLOW, id)).toBe("review");
    });

    it.each([
      ["indented with newlines", `json.dumps({"a": 1, "b": [1, 2]}, indent=2)`, { b: 3, c: 4 }, `{"a": 1, "b": 3, "c": 4}`],
      ["with no spaces", `json.dumps({"a": 1}, separators=(",", ":"))`, { c: 4 }, `{"a": 1, "c": 4}`],
      ["empty, with spaces inside", `"{ }"`, { c: 4 }, `{"c": 4}`],
      ["with a key twice (both readers keep the last)", `'{"a": 1, "a": 2, "b": 3}'`, { a: 5 }, `{"a": 5, "b": 3}`],
      ["with whitespace around it", `' \\n{"a": 1}\\n '`, { c: 4 }, `{"a": 1, "c": 4}`],
    ])("merge into a state written %s", async (_, pythonExpression, updates, expectedPython) => {
      const { database, store, id } = await pythonRow(python(`import json\nprint(${pythonExpression}, end="")`));
      await store.updateState(FLOW, id, updates);
      expect(await withPythonState(backend, database, store, id, `expected = ${expectedPython}\n${SAME}`)).toBe("same");
    });

    it("lose none of the keys of a Python-written row while two stores merge into it at once", async () => {
      const { database, store, id } = await pythonRow();
      const other = await database.open();
      await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? store : other).updateState(FLOW, id, { [`k${i}`]: i })));
      const expected = `import os\nexpected = ${PYTHON_STATE}\nexpected.update({f"k{i}": i for i in range(30)})`;
      expect(await withPythonState(backend, database, store, id, `${expected}\n${SAME}`)).toBe("same");
    });
  });

  describe("getState()", () => {
    it("reads Python's NaN, Infinity and -Infinity as those numbers, and integers beyond 2^53 as the nearest number", async () => {
      const { store, id } = await pythonRow();
      const state = await store.getState(FLOW, id);
      expect(state.nan).toBeNaN();
      expect(state.inf).toBe(Infinity);
      expect(state.ninf).toBe(-Infinity);
      expect(state.big).toBe(1e20);
      expect(state.path).toBe("/media/caf\udce9.wav");
      expect(state["nul\u0000key"]).toBe("x");
      expect(state.text).toBe("café ✓ 😀");
      expect(await store.getStepState(FLOW, id, "review")).toEqual({ visited: true, count: 1e20, nan: NaN });
    });
  });

  describe("values written from TypeScript", () => {
    it("are written as Python's json.dumps writes them: NaN and ±Infinity as constants, a BigInt as its digits", async () => {
      const database = await backend.database();
      const store = await database.open();
      const id = await store.createSession(FLOW);
      await store.updateState(FLOW, id, { nan: NaN, inf: Infinity, ninf: -Infinity, big: 10n ** 20n + 1n });
      await store.updateStepState(FLOW, id, "review", { count: -(2n ** 70n) });
      const check = `expected = {"nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"), "big": 10**20 + 1, "_step_review": {"count": -(2**70)}}
print(math.isnan(state["nan"]), type(state["big"]).__name__)${SAME}`;
      expect(await withPythonState(backend, database, store, id, check)).toBe("True int\nsame");
    });

    it("keep a lone surrogate in a string or key as a JSON escape, which Python reads back as the same string", async () => {
      const database = await backend.database();
      const store = await database.open();
      const id = await store.createSession(FLOW);
      await store.updateState(FLOW, id, { path: "caf\udce9.wav", ["k\ud800"]: 1 });
      await store.updateStepState(FLOW, id, "selection", { files: ["\udce9"] });
      expect(await storedText(store, id)).toBe(String.raw`{"path":"caf\udce9.wav","k\ud800":1,"_step_selection":{"files":["\udce9"]}}`);
      const check = `expected = {"path": "caf\\udce9.wav", "k\\ud800": 1, "_step_selection": {"files": ["\\udce9"]}}${SAME}`;
      expect(await withPythonState(backend, database, store, id, check)).toBe("same");
    });
  });

  describe("updates", () => {
    it("are serialised as JSON.stringify does otherwise: toJSON is called, undefined and functions are skipped", async () => {
      const store = await backend.openStore();
      const id = await store.createSession(FLOW);
      await store.updateState(FLOW, id, { when: new Date(0), gone: undefined, fn: () => 1, list: [undefined, 1], boxed: new Number(2) });
      expect(await storedText(store, id)).toBe(`{"when":"1970-01-01T00:00:00.000Z","list":[null,1],"boxed":2}`);
    });

    it.each([["an array", [1]], ["null", null], ["a string", "{}"]])("are refused with InvalidInputError when they are %s", async (_, updates) => {
      const store = await backend.openStore();
      const id = await store.createSession(FLOW);
      await expect(store.updateState(FLOW, id, updates as never)).rejects.toThrow(InvalidInputError);
      await expect(store.updateStepState(FLOW, id, "review", updates as never)).rejects.toThrow(InvalidInputError);
      expect(await storedText(store, id)).toBe("{}");
    });
  });

  describe("a row that is not JSON, even in Python's dialect", () => {
    it.each([`{"a": nan}`, `{"a": 1} {"b": 2}`, `[1, 2]`, `{"a": 01}`, `{"a": "\u0001"}`])(
      "is never overwritten: %j",
      async (text) => {
        const { store, id } = await pythonRow(text);
        const before = await store.db.selectFrom("workflow_state").selectAll().where("flow_session_key", "=", `${FLOW}:${id}`).executeTakeFirstOrThrow();
        await expect(store.updateState(FLOW, id, { a: 1 })).rejects.toThrow(CorruptStateError);
        await expect(store.updateStepState(FLOW, id, "review", { a: 1 })).rejects.toThrow(CorruptStateError);
        await expect(store.clearStepState(FLOW, id, "review")).rejects.toThrow(CorruptStateError);
        await expect(store.getState(FLOW, id)).rejects.toThrow(CorruptStateError);
        const after = await store.db.selectFrom("workflow_state").selectAll().where("flow_session_key", "=", `${FLOW}:${id}`).executeTakeFirstOrThrow();
        expect(after).toEqual(before);
      },
    );
  });
});

describe("a SQLite row whose state is not UTF-8, as earlier releases' merges left lone surrogates", () => {
  it("is never overwritten, although getState() reads it with replacement characters", async () => {
    const [sqlite] = backends;
    const database = await sqlite!.database();
    const store = await database.open();
    // {"path": "caf<ED B3 A9>"}: U+DCE9 encoded as if it were a character, which Python's sqlite3 refuses to decode.
    await sql`INSERT INTO workflow_state (flow_session_key, state_json) VALUES (${`${FLOW}:damaged`}, CAST(x'7b2270617468223a2022636166edb3a9227d' AS TEXT))`.execute(store.db);
    expect(await store.getState(FLOW, "damaged")).toEqual({ path: "caf\ufffd\ufffd\ufffd" });
    await expect(store.updateState(FLOW, "damaged", { a: 1 })).rejects.toThrow(CorruptStateError);
    await expect(store.clearStepState(FLOW, "damaged", "review")).rejects.toThrow(CorruptStateError);
    const { rows } = await sql<{ hex: string }>`SELECT hex(state_json) AS hex FROM workflow_state WHERE flow_session_key = ${`${FLOW}:damaged`}`.execute(store.db);
    expect(rows[0]!.hex).toBe("7B2270617468223A2022636166EDB3A9227D");
  });
});

describe.each(backends)("text with no UTF-8 form on $name", (backend) => {
  const LONE = "lecture \udce9";

  it("is rejected with InvalidInputError as a label, owner, session id or step id, and nothing is written", async () => {
    const database = await backend.database();
    const store = await database.open();
    const id = await store.createSession(FLOW, { label: "kept" });
    await expect(store.createSession(FLOW, { label: LONE })).rejects.toThrow(InvalidInputError);
    await expect(store.createSession(FLOW, { owner: LONE })).rejects.toThrow(InvalidInputError);
    await expect(store.createSession(FLOW, { sessionId: LONE })).rejects.toThrow(InvalidInputError);
    await expect(store.setSessionLabel(FLOW, id, LONE)).rejects.toThrow(InvalidInputError);
    await expect(store.setSessionOwner(FLOW, id, LONE)).rejects.toThrow(InvalidInputError);
    await expect(store.setCurrentStep(FLOW, id, LONE)).rejects.toThrow(InvalidInputError);
    await expect(store.updateState(FLOW, LONE, { a: 1 })).rejects.toThrow(InvalidInputError);
    await expect(store.listSessions(FLOW, { owner: LONE })).rejects.toThrow(InvalidInputError);
    expect(await store.listSessions(FLOW)).toEqual([expect.objectContaining({ sessionId: id, label: "kept", currentStep: null })]);
    if (backend.name === "sqlite") {
      // What list_sessions reads: every label and key of the flow, which Python's sqlite3 decodes as UTF-8.
      const script = `import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT flow_session_key, label, current_step, owner FROM workflow_state WHERE flow_session_key LIKE 'structure_decomposition:%'").fetchall() == [("structure_decomposition:" + sys.argv[2], "kept", None, None)])`;
      expect(python(script, [database.location, id])).toBe("True");
    }
  });

  describe.each([
    ["POST /create", "/manage/sessions/create", () => ""],
    ["POST /rename", "/manage/sessions/rename", (id: string) => `&session_id=${id}`],
  ])("%s with such a label", (_, path, extraFields) => {
    it("answers 400 and changes nothing, even through a host body parser that makes lone surrogates", async () => {
      const store = await backend.openStore();
      const id = await store.createSession(FLOW, { label: "kept" });
      const app = express();
      app.use(session({ secret: "test secret", resave: false, saveUninitialized: false }));
      // qs turns "&#56553;" into the lone surrogate U+DCE9 once the charset sentinel says ISO-8859-1 (body-parser
      // passes both options on to qs; its types do not list them).
      const hostParserOptions = { extended: false, charsetSentinel: true, interpretNumericEntities: true };
      app.use(express.urlencoded(hostParserOptions));
      app.use(createSessionManager({ flowId: FLOW, store, workflowUrl: "/workflow", logger: recordingLogger() }));
      const agent = await csrfAgent(app);
      const body = `utf8=${encodeURIComponent("&#10003;")}&label=${encodeURIComponent("lecture &#56553;")}${extraFields(id)}`;
      const res = await agent.post(path).set("Accept", "application/json").type("form").send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_input");
      expect((await store.listSessions(FLOW)).map((s) => [s.sessionId, s.label])).toEqual([[id, "kept"]]);
    });
  });
});
