import { execFileSync } from "node:child_process";
import Database from "better-sqlite3";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { listParamsFrom } from "../lib/list-state.js";
import { LIST_SORT_EXPRESSIONS } from "../lib/store/dialects/sqlite.js";
import { LIST_INDEXES, OWNER_LIST_INDEXES } from "../lib/store/migrations/list-indexes.js";
import { prefixUpperBound, type SessionOrderBy, type SessionSummary, type WorkflowStore } from "../lib/store/workflow-store.js";
import { buildApp, csrfAgent, FLOW, rowIds, tempDir, visitor, decoded } from "./helpers.js";

const P = "/manage/sessions";

/** A fresh file with `count` sessions `s000`, `s001`, … whose times, labels and steps repeat, so ties abound. */
async function storeWith(count: number, file = `${tempDir()}/workflow_state.db`): Promise<WorkflowStore> {
  const store = await createWorkflowStore({ filename: file });
  const raw = new Database(file);
  const insert = raw.prepare("INSERT INTO workflow_state (flow_session_key, current_step, state_json, created_at, updated_at, label) VALUES (?, ?, '{}', ?, ?, ?)");
  raw.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = `s${String(i).padStart(3, "0")}`;
      insert.run(`${FLOW}:${id}`, ["review", "selection", null][i % 3], `2026-01-0${1 + (i % 4)} 10:00:00`, `2026-02-0${1 + (i % 5)} 10:00:00`, [`Beta`, `alpha`, null, `Gamma ${i}`][i % 4]);
    }
    insert.run(`other_flow:${"s001"}`, "review", "2026-01-01 10:00:00", "2026-03-01 10:00:00", "Alpha elsewhere");
  })();
  raw.close();
  return store;
}

const ids = (sessions: SessionSummary[]) => sessions.map((s) => s.sessionId);

function sortKey(orderBy: SessionOrderBy, s: SessionSummary): string | null {
  if (orderBy === "updated_at") return s.updatedAt!.toISOString();
  if (orderBy === "created_at") return s.createdAt!.toISOString();
  if (orderBy === "label") return s.label?.toLowerCase() ?? null;
  return s.currentStep;
}

/** The order the list must have, computed in JavaScript: NULL first ascending, ties by session id. */
function expectedOrder(sessions: SessionSummary[], orderBy: SessionOrderBy, descending: boolean): string[] {
  const compare = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
  const sorted = [...sessions].sort((a, b) => compare(sortKey(orderBy, a), sortKey(orderBy, b)) || compare(a.sessionId, b.sessionId));
  return ids(descending ? sorted.reverse() : sorted);
}

describe("the session list at scale", () => {
  describe("WorkflowStore.listWindow()", () => {
    it.each([
      ["an empty flow", 0, 0, 0, 0],
      ["one session", 1, 0, 1, 1],
      ["exactly one window", 10, 0, 10, 10],
      ["the last partial window", 23, 20, 3, 23],
      ["an offset past the end, as the last full window", 23, 500, 10, 23],
    ])("gives %s", async (_name, count, offset, rows, last) => {
      const store = await storeWith(count);
      const window = await store.listWindow(FLOW, { offset, limit: 10 });
      expect(window.total).toBe(count);
      expect(window.sessions).toHaveLength(rows);
      expect(window.offset + window.sessions.length).toBe(last);
      await store.close();
    });

    it("reads a window past the middle from the other end and gives the same rows in the same order", async () => {
      const store = await storeWith(57);
      const all = await store.listSessions(FLOW, { orderBy: "label", descending: false });
      for (const offset of [0, 20, 40, 47]) {
        const window = await store.listWindow(FLOW, { orderBy: "label", descending: false, offset, limit: 10 });
        expect(ids(window.sessions)).toEqual(ids(all.slice(offset, offset + 10)));
      }
      await store.close();
    });

    it("with withStates, reads each shown row's state in the same query, from either end", async () => {
      const store = await storeWith(23);
      for (const session of await store.listSessions(FLOW)) await store.updateState(FLOW, session.sessionId, { id: session.sessionId });
      for (const offset of [0, 18]) {
        const window = await store.listWindow(FLOW, { offset, limit: 5, withStates: true });
        expect([...window.states!.keys()].sort()).toEqual(ids(window.sessions).sort());
        for (const [sessionId, json] of window.states!) expect(JSON.parse(json!)).toEqual({ id: sessionId });
      }
      expect((await store.listWindow(FLOW, { offset: 0, limit: 5 })).states).toBeUndefined();
      await store.close();
    });

    it("counts again after this store or another connection changes the table", async () => {
      const file = `${tempDir()}/workflow_state.db`;
      const store = await storeWith(5, file);
      expect((await store.listWindow(FLOW, { offset: 0, limit: 10 })).total).toBe(5);
      await store.createSession(FLOW);
      expect((await store.listWindow(FLOW, { offset: 0, limit: 10 })).total).toBe(6);
      const other = new Database(file);
      other.prepare("DELETE FROM workflow_state WHERE flow_session_key = ?").run(`${FLOW}:s000`);
      other.close();
      expect((await store.listWindow(FLOW, { offset: 0, limit: 10 })).total).toBe(5);
      await store.close();
    });
  });

  describe("sorting", () => {
    const cases = (["updated_at", "created_at", "label", "current_step"] as const).flatMap((orderBy) => [
      [orderBy, false] as const,
      [orderBy, true] as const,
    ]);

    it.each(cases)("by %s (descending: %s), ties broken by session id in the same direction", async (orderBy, descending) => {
      const store = await storeWith(30);
      const sessions = await store.listSessions(FLOW, { orderBy, descending });
      expect(sessions).toHaveLength(30);
      expect(ids(sessions)).toEqual(expectedOrder(sessions, orderBy, descending));
      // Windows put together give the same order.
      const windows = [];
      for (let offset = 0; offset < 30; offset += 7) windows.push(...(await store.listWindow(FLOW, { orderBy, descending, offset, limit: 7 })).sessions);
      expect(ids(windows)).toEqual(ids(sessions));
      await store.close();
    });

    /** SQLite's plan for a list window in `orderBy`, in a file the store created, filtered by `where` too. */
    async function windowPlan(orderBy: SessionOrderBy, where: string, params: unknown[]): Promise<string> {
      const file = `${tempDir()}/workflow_state.db`;
      await (await storeWith(3, file)).close();
      const raw = new Database(file, { readonly: true });
      const plan = raw
        .prepare(
          `EXPLAIN QUERY PLAN SELECT * FROM workflow_state WHERE substr(flow_session_key, 1, instr(flow_session_key, ':')) = ?${where}
           ORDER BY ${LIST_SORT_EXPRESSIONS[orderBy]} DESC, flow_session_key DESC LIMIT 50 OFFSET 10`,
        )
        .all(`${FLOW}:`, ...params) as Array<{ detail: string }>;
      raw.close();
      return plan.map((row) => row.detail).join("; ");
    }

    it.each(Object.keys(LIST_SORT_EXPRESSIONS) as SessionOrderBy[])("walks an index for %s with no temp B-tree, in a file the store created", async (orderBy) => {
      expect(await windowPlan(orderBy, "", [])).toBe(`SEARCH workflow_state USING INDEX ${LIST_INDEXES[orderBy]} (<expr>=?)`);
    });

    it.each(Object.keys(LIST_SORT_EXPRESSIONS) as SessionOrderBy[])("walks one owner's part of the index for %s, with an owner scope", async (orderBy) => {
      expect(await windowPlan(orderBy, " AND owner = ?", ["alice"])).toBe(`SEARCH workflow_state USING INDEX ${OWNER_LIST_INDEXES[orderBy]} (<expr>=? AND owner=?)`);
    });

    it("keeps the file readable and writable by Python's sqlite3, and sees what Python writes", async () => {
      const file = `${tempDir()}/workflow_state.db`;
      await (await storeWith(3, file)).close();
      const script = [
        "import sqlite3, sys",
        "c = sqlite3.connect(sys.argv[1])",
        "c.execute(\"INSERT INTO workflow_state (flow_session_key, state_json, updated_at) VALUES ('structure_decomposition:py', '{}', '2030-01-01 00:00:00')\")",
        "c.commit()",
        "print(c.execute('PRAGMA integrity_check').fetchone()[0])",
      ].join("\n");
      expect(execFileSync("python3", ["-c", script, file], { encoding: "utf8" }).trim()).toBe("ok");
      const store = await createWorkflowStore({ filename: file });
      expect(ids((await store.listWindow(FLOW, { offset: 0, limit: 1 })).sessions)).toEqual(["py"]);
      await store.close();
    });
  });

  describe("search", () => {
    async function labelled(labels: string[]) {
      const store = await createWorkflowStore({ filename: `${tempDir()}/workflow_state.db` });
      for (const [i, label] of labels.entries()) await store.createSession(FLOW, { label, sessionId: `id-${i}` });
      await store.createSession("other", { label: "100% other flow", sessionId: "x" });
      return store;
    }
    const labelsOf = async (store: WorkflowStore, search: string) =>
      (await store.listSessions(FLOW, { search, orderBy: "label", descending: false })).map((s) => s.label);

    it("matches a label prefix, ignoring ASCII case, and counts the matches", async () => {
      const store = await labelled(["Lecture 1", "lecture 2", "Lectern", "A lecture"]);
      expect(await labelsOf(store, "LECTURE")).toEqual(["Lecture 1", "lecture 2"]);
      expect(await store.countSessions(FLOW, { search: "lect" })).toBe(3);
      expect((await store.listWindow(FLOW, { offset: 0, limit: 10, search: "lect" })).total).toBe(3);
    });

    it("matches a session-id prefix", async () => {
      const store = await labelled(["a", "b"]);
      expect(ids(await store.listSessions(FLOW, { search: "id-1" }))).toEqual(["id-1"]);
    });

    it.each([
      ["%", ["%off"]],
      ["100%", ["100% done"]],
      ["_", ["_draft"]],
      ["a_c", ["a_c"]],
      ["a%", []],
    ])("treats %j literally: it matches only itself", async (search, expected) => {
      const store = await labelled(["100% done", "100 percent", "%off", "off", "_draft", "xdraft", "a_c", "abc", "aXc"]);
      expect(await labelsOf(store, search)).toEqual(expected);
    });

    it("never matches another flow's sessions", async () => {
      const store = await labelled(["100 a"]);
      expect(await labelsOf(store, "100")).toEqual(["100 a"]);
    });

    it("matches labels with characters outside ASCII, and prefixes ending in the largest code point", async () => {
      const store = await labelled(["Été 2026", "Ete", "\u{10FFFF}x"]);
      expect(await labelsOf(store, "Été")).toEqual(["Été 2026"]);
      expect(await labelsOf(store, "\u{10FFFF}")).toEqual(["\u{10FFFF}x"]);
      expect(prefixUpperBound("ab")).toBe("ac");
      expect(prefixUpperBound("a\u{10FFFF}")).toBe("b");
      expect(prefixUpperBound("")).toBeUndefined();
    });
  });

  describe("listParamsFrom()", () => {
    it.each([
      [{}, { offset: 0, orderBy: "updated_at", descending: true, search: "" }, undefined],
      [{ sort: "label" }, { offset: 0, orderBy: "label", descending: false, search: "" }, undefined],
      [{ sort: "step", dir: "desc", offset: "40", q: "  lec ", cursor: "42" }, { offset: 40, orderBy: "current_step", descending: true, search: "lec" }, 42],
      [{ sort: "created", dir: "asc" }, { offset: 0, orderBy: "created_at", descending: false, search: "" }, undefined],
      [{ sort: "toString", dir: "sideways", offset: "-5", cursor: "1e3" }, { offset: 0, orderBy: "updated_at", descending: true, search: "" }, undefined],
      [{ sort: ["label", "step"], offset: ["1", "2"], q: ["a", "b"] }, { offset: 0, orderBy: "updated_at", descending: true, search: "" }, undefined],
      [{ offset: "99999999999999999999" }, { offset: 0, orderBy: "updated_at", descending: true, search: "" }, undefined],
      [{ q: "x".repeat(300) }, { offset: 0, orderBy: "updated_at", descending: true, search: "x".repeat(200) }, undefined],
    ])("reads %j, falling back to defaults for anything invalid", (source, query, cursor) => {
      expect(listParamsFrom(source, 50)).toEqual({ query: { limit: 50, ...query }, cursor });
    });
  });

  describe(`GET ${P}/list`, () => {
    it.each([
      "offset=abc",
      "offset=-1",
      "offset=1e9",
      "offset=999999999999999",
      "sort=__proto__",
      "sort=label&sort=step",
      "dir=up",
      "cursor=-3",
      "cursor=999999",
      "q[a]=b",
      "q=%25%5F",
      "q=%00%1F",
    ])("answers 200, never 500, to ?%s", async (query) => {
      const store = await storeWith(12);
      await visitor(buildApp({ store, pageSize: 5 })).get(`${P}/list?${query}`).expect(200);
    });

    it("renders the window, the range, aria-sort on the sorted column and aria-selected on the cursor", async () => {
      const store = await storeWith(12);
      const res = await visitor(buildApp({ store, pageSize: 5 })).get(`${P}/list?sort=label&dir=desc&offset=5&cursor=7`).expect(200);
      expect(decoded(res.text)).toContain("Rows 6–10 of 12");
      expect(res.text).toMatch(/<th scope="col"[^>]*aria-sort="descending">\s*<a[^>]*data-sort="label"/);
      expect(res.text.match(/aria-sort="none"/g)).toHaveLength(3);
      const selected = [...res.text.matchAll(/<tr [^>]*aria-rowindex="(\d+)" aria-selected="true"/g)].map((m) => m[1]);
      expect(selected).toEqual(["9"]);
      expect(res.text).toContain('data-offset="5"');
      expect(res.text).toMatch(/data-sort="label"\s+data-dir="desc"/);
    });

    it("links each header to the reverse order when it is the current one, keeping the search", async () => {
      const store = await storeWith(12);
      const res = await visitor(buildApp({ store })).get(`${P}/list?sort=created&dir=asc&q=Gam`).expect(200);
      expect(res.text).toContain(`hx-get="${P}/list?sort=created&amp;dir=desc&amp;q=Gam"`);
      expect(res.text).toContain(`hx-get="${P}/list?sort=label&amp;dir=asc&amp;q=Gam"`);
    });

    it("filters by the search and counts the matches", async () => {
      const store = await storeWith(12);
      const res = await visitor(buildApp({ store })).get(`${P}/list?q=gamma`).expect(200);
      expect(rowIds(res.text).sort()).toEqual(["s003", "s007", "s011"]);
      expect(decoded(res.text)).toContain("3 sessions matching “<span");
    });

    it("says so when nothing matches, rather than offering to start a session", async () => {
      const store = await storeWith(2);
      const res = await visitor(buildApp({ store })).get(`${P}/list?q=${encodeURIComponent("nothing%")}`).expect(200);
      expect(res.text).toContain('data-role="no-matches"');
      expect(res.text).not.toContain("No sessions yet");
    });

    it("keeps the window and moves the cursor to the nearest row when the last row is deleted", async () => {
      const store = await storeWith(7);
      const agent = visitor(buildApp({ store, pageSize: 5 }));
      const before = await agent.get(`${P}/list?offset=2&cursor=6`).expect(200);
      const last = rowIds(before.text).at(-1)!;
      const res = await (await csrfAgent(buildApp({ store, pageSize: 5 })))
        .post(`${P}/delete`)
        .set("HX-Request", "true")
        .type("form")
        .send({ session_id: last, offset: "2", cursor: "6" })
        .expect(200);
      expect(decoded(res.text)).toContain("Rows 3–6 of 6");
      expect([...res.text.matchAll(/aria-rowindex="(\d+)" aria-selected="true"/g)].map((m) => m[1])).toEqual(["7"]);
    });
  });
});
