import { CompiledQuery } from "kysely";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { anchorFromParam, anchorParam, listParamsFrom, listStateQuery } from "../lib/list-state.js";
import { LIST_INDEXES, OWNER_LIST_INDEXES } from "../lib/store/migrations/list-indexes.js";
import { LANDMARK_SPACING, SEARCH_COUNT_BOUND, type SessionOrderBy, type SessionWindow, type WorkflowStore } from "../lib/store/workflow-store.js";
import { backends, buildApp, decoded, FLOW, rowIds, visitor } from "./helpers.js";

const SESSIONS = 3 * LANDMARK_SPACING + 217;
const ORDERS: SessionOrderBy[] = ["updated_at", "created_at", "label", "current_step"];
const LIMIT = 50;

/**
 * Session `i`: id `k00000`…; times from a few values, so long runs of equal timestamps; labels `Same` (a run of
 * equal labels), none (NULL), or `Unit <i>`; steps repeating, some NULL.
 */
function row(i: number) {
  return {
    flow_session_key: `${FLOW}:k${String(i).padStart(5, "0")}`,
    label: ["Same", null, `Unit ${i}`, "same", null][i % 5]!,
    current_step: ["review", null, "selection"][i % 3]!,
    state_json: "{}",
    created_at: `2026-01-0${1 + (i % 3)} 10:00:00`,
    updated_at: `2026-02-0${1 + (i % 7)} 10:00:00`,
  };
}

async function fill(store: WorkflowStore, rows: ReturnType<typeof row>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await store.db.insertInto("workflow_state").values(rows.slice(i, i + 500)).execute();
}

/** Every session id of the flow in the list's order, by the plain offset query (`listSessions`, no limit). */
async function reference(store: WorkflowStore, orderBy: SessionOrderBy, descending: boolean, search = ""): Promise<string[]> {
  return (await store.listSessions(FLOW, { orderBy, descending, search })).map((s) => s.sessionId);
}

const ids = (window: SessionWindow) => window.sessions.map((s) => s.sessionId);

describe("the list state's anchors", () => {
  it("travel in the URL as [offset, sessionId, value] next to the offset, and read back the same", () => {
    const anchor = { sessionId: "abc-1", value: "2026-02-01 10:00:00", offset: 49 };
    expect(anchorParam(anchor)).toBe(Buffer.from('[49,"abc-1","2026-02-01 10:00:00"]').toString("base64url"));
    const query = listStateQuery({ orderBy: "updated_at", descending: true, search: "", offset: 50, after: anchor });
    expect(query).toBe(`offset=50&after=${anchorParam(anchor)}`);
    expect(anchorFromParam(anchorParam({ sessionId: "ünï", value: "🦀 label" }))).toEqual({ sessionId: "ünï", value: "🦀 label" });
    const read = listParamsFrom(Object.fromEntries(new URLSearchParams(query)), 50).query;
    expect(read).toMatchObject({ offset: 50, after: anchor });
    expect(anchorFromParam(Buffer.from('[null,"x",null]').toString("base64url"))).toEqual({ sessionId: "x", value: null });
  });

  it.each(["", "nope", "[1,2,3]", '[-1,"x",null]', '[1,"",null]', '[1,"x",5]', '{"a":1}', `[1,"${"x".repeat(1000)}",null]`])(
    "ignore a malformed anchor (%j), so the offset serves",
    (json) => {
      const text = Buffer.from(json).toString("base64url");
      expect(anchorFromParam(text)).toBeUndefined();
      expect(listParamsFrom({ offset: "7", after: text, before: text }, 50).query).not.toHaveProperty("after");
    },
  );
});

describe.each(backends)("large lists on $name", (backend) => {
  let store: WorkflowStore;
  beforeAll(async () => {
    store = await backend.openStore();
    await fill(store, Array.from({ length: SESSIONS }, (_, i) => row(i)));
    if (backend.name === "postgres") await store.db.executeQuery(CompiledQuery.raw("VACUUM ANALYZE workflow_state"));
  });

  describe("adjacent windows by key", () => {
    const cases = ORDERS.flatMap((orderBy) => [true, false].map((descending) => [orderBy, descending] as const));

    it.each(cases)("by %s (descending: %s) walk the whole list forward and back across ties of equal values and NULLs", async (orderBy, descending) => {
      const expected = await reference(store, orderBy, descending);
      const seen: string[] = [];
      let window = await store.listWindow(FLOW, { orderBy, descending, offset: 0, limit: LIMIT });
      const windows = [window];
      while (window.sessions.length > 0) {
        seen.push(...ids(window));
        const at = window.offset + window.sessions.length;
        if (at >= window.total) break;
        window = await store.listWindow(FLOW, { orderBy, descending, offset: at, limit: LIMIT, after: window.anchors!.last });
        expect(window.offset).toBe(at);
        windows.push(window);
      }
      expect(seen).toEqual(expected);
      // Back from the last full window, by the first row of each.
      let back = windows[windows.length - 2]!;
      for (let i = windows.length - 3; i >= 0; i--) {
        back = await store.listWindow(FLOW, { orderBy, descending, offset: back.offset - LIMIT, limit: LIMIT, before: back.anchors!.first });
        expect(ids(back)).toEqual(ids(windows[i]!));
      }
    });

    it("seek by the anchor, not by the offset, when the anchor still holds", async () => {
      const expected = await reference(store, "label", false);
      const first = await store.listWindow(FLOW, { orderBy: "label", descending: false, offset: 0, limit: LIMIT });
      // Without the anchor's own offset, the window starts right after it, whatever the offset says (reported as given).
      const next = await store.listWindow(FLOW, { orderBy: "label", descending: false, offset: 700, limit: LIMIT, after: { ...first.anchors!.last, offset: undefined } });
      expect(ids(next)).toEqual(expected.slice(LIMIT, 2 * LIMIT));
      expect(next.offset).toBe(700);
    });

    it("seek a window near the anchor (scrolling, the same window again) by skipping the rows between", async () => {
      const expected = await reference(store, "updated_at", true);
      const shown = await store.listWindow(FLOW, { offset: 1600, limit: LIMIT });
      const { first, last } = shown.anchors!;
      expect([first.offset, last.offset]).toEqual([1600, 1649]);
      for (const [offset, anchor] of [[1600, { after: first }], [1625, { after: first }], [1680, { after: last }], [1570, { before: first }], [1590, { before: last }], [1560, { before: first }]] as const) {
        const window = await store.listWindow(FLOW, { offset, limit: LIMIT, ...anchor });
        expect({ offset, ids: ids(window) }).toEqual({ offset, ids: expected.slice(offset, offset + LIMIT) });
      }
    });

    it("fall back to the offset when the anchor's session was deleted, or its sort value changed", async () => {
      const database = await backend.database();
      const own = await database.open();
      await fill(own, Array.from({ length: 400 }, (_, i) => row(i)));
      const first = await own.listWindow(FLOW, { orderBy: "label", descending: false, offset: 0, limit: LIMIT });
      const anchor = first.anchors!.last;
      expect(await own.deleteSession(FLOW, anchor.sessionId)).toBe(true);
      const afterDelete = await own.listWindow(FLOW, { orderBy: "label", descending: false, offset: 120, limit: LIMIT, after: anchor });
      expect(ids(afterDelete)).toEqual((await reference(own, "label", false)).slice(120, 120 + LIMIT));
      const renamed = first.anchors!.first;
      expect(await own.setSessionLabel(FLOW, renamed.sessionId, "zzz moved")).toBe(true);
      const afterRename = await own.listWindow(FLOW, { orderBy: "label", descending: false, offset: 1, limit: LIMIT, after: { ...renamed, offset: undefined } });
      expect(ids(afterRename)).toEqual((await reference(own, "label", false)).slice(1, 1 + LIMIT));
    });

    it("carry each window's boundary rows as anchors, with the sort value as the index holds it", async () => {
      const window = await store.listWindow(FLOW, { orderBy: "label", descending: false, offset: 2000, limit: LIMIT });
      const last = window.sessions[window.sessions.length - 1]!;
      expect(window.anchors).toEqual({
        first: { sessionId: window.sessions[0]!.sessionId, value: window.sessions[0]!.label?.toLowerCase() ?? null, offset: 2000 },
        last: { sessionId: last.sessionId, value: last.label?.toLowerCase() ?? null, offset: 2000 + LIMIT - 1 },
      });
      expect((await store.listWindow(FLOW, { offset: 0, limit: LIMIT })).anchors!.first.value).toMatch(/^2026-02-07 10:00:00/);
    });
  });

  describe("jumps", () => {
    const offsets = [LANDMARK_SPACING + 1, 1500, 2 * LANDMARK_SPACING + 333, SESSIONS - LANDMARK_SPACING - LIMIT - 1];

    it.each(ORDERS)("by %s, from landmarks, give exactly the rows of the offset query when nothing changed", async (orderBy) => {
      for (const descending of [true, false]) {
        await store.listWindow(FLOW, { orderBy, descending, offset: 1500, limit: LIMIT }); // starts the landmark walk
        await store.listLandmarksSettled();
        const expected = await reference(store, orderBy, descending);
        for (const offset of offsets) {
          const window = await store.listWindow(FLOW, { orderBy, descending, offset, limit: LIMIT });
          expect({ offset, ids: ids(window) }).toEqual({ offset, ids: expected.slice(offset, offset + LIMIT) });
        }
      }
    });

    it("after writes, are off by at most the rows changed, and exact again once the landmarks are rebuilt", async () => {
      const database = await backend.database();
      const own = await database.open();
      await fill(own, Array.from({ length: SESSIONS }, (_, i) => row(i)));
      const query = { orderBy: "updated_at" as const, descending: true, limit: LIMIT };
      await own.listWindow(FLOW, { ...query, offset: 1500 });
      await own.listLandmarksSettled();
      // Seven changes: three new sessions (newest, so before every offset), two deletions, two renames.
      for (let i = 0; i < 3; i++) await own.createSession(FLOW, { sessionId: `new-${i}` });
      const before = await reference(own, "updated_at", true);
      await own.deleteSession(FLOW, before[1200]!);
      await own.deleteSession(FLOW, before[1300]!);
      await own.setSessionLabel(FLOW, before[1400]!, "renamed");
      await own.setSessionLabel(FLOW, before[1450]!, "renamed too");
      const changed = 7;
      const expected = await reference(own, "updated_at", true);
      const window = await own.listWindow(FLOW, { ...query, offset: 2000 });
      const at = expected.indexOf(window.sessions[0]!.sessionId);
      expect(Math.abs(at - 2000)).toBeLessThanOrEqual(changed);
      expect(ids(window)).toEqual(expected.slice(at, at + LIMIT));
      // The rebuild starts once the database's change token has moved (on PostgreSQL, its statistics within a second or so).
      for (;;) {
        await own.listLandmarksSettled();
        const now = await own.listWindow(FLOW, { ...query, offset: 2000 });
        if (ids(now).join() === expected.slice(2000, 2000 + LIMIT).join()) break;
        await new Promise((resolve) => setTimeout(resolve, 50)); // polling for the condition, not timing it
      }
    }, 60_000);
  });

  describe("searches past the cap", () => {
    it.each(ORDERS)("by %s give the rows of the offset query at any offset, with an exact count", async (orderBy) => {
      for (const search of ["s", "k0", "unit"]) {
        const expected = await reference(store, orderBy, true, search);
        await store.listWindow(FLOW, { orderBy, search, offset: 0, limit: LIMIT });
        await store.listLandmarksSettled();
        for (const offset of [0, 500, Math.floor(expected.length / 2), expected.length - LIMIT]) {
          const window = await store.listWindow(FLOW, { orderBy, search, offset, limit: LIMIT });
          expect({ search, offset, total: window.total, capped: window.capped, ids: ids(window) }).toEqual({
            search,
            offset,
            total: expected.length,
            capped: false,
            ids: expected.slice(offset, offset + LIMIT),
          });
        }
      }
    });
  });

  describe("GET /list", () => {
    it("links Next and Previous by key, and answers a window sought from an anchor", async () => {
      const agent = visitor(buildApp({ store, pageSize: LIMIT }));
      const res = await agent.get("/manage/sessions/list?offset=1500").expect(200);
      const last = /data-anchor-last="([^"]*)"/.exec(res.text)![1]!;
      const link = (text: string) => decoded(res.text).match(new RegExp(`href="([^"]*)"[^>]*>${text}<`))![1]!.replace(/&amp;/g, "&");
      const next = new URLSearchParams(link("Next").split("?")[1]);
      expect([next.get("offset"), next.get("after")]).toEqual(["1550", last]);
      const first = /data-anchor-first="([^"]*)"/.exec(res.text)![1]!;
      const previous = new URLSearchParams(link("Previous").split("?")[1]);
      expect([previous.get("offset"), previous.get("before")]).toEqual(["1450", first]);
      const sought = await agent.get(`/manage/sessions/list?offset=1550&after=${encodeURIComponent(last)}`).expect(200);
      expect(rowIds(sought.text)).toEqual((await reference(store, "updated_at", true)).slice(1550, 1600));
      expect(decoded(sought.text)).toContain("Rows 1,551–1,600 of");
    });
  });

  describe("startup on a big database", () => {
    it("logs building the list indexes: what, how far, and that it happens once", async () => {
      const database = await backend.database();
      const own = await database.open();
      await fill(own, Array.from({ length: 10_050 }, (_, i) => row(i)));
      for (const name of [...Object.values(LIST_INDEXES), ...Object.values(OWNER_LIST_INDEXES)]) await own.db.executeQuery(CompiledQuery.raw(`DROP INDEX ${name}`));
      const lines: string[] = [];
      const logger = { info: (line: string) => void lines.push(line), warn: (line: string) => void lines.push(`warn: ${line}`) };
      const options = backend.name === "sqlite" ? { filename: database.location, logger } : { connectionString: database.location, logger };
      await (await createWorkflowStore(options)).close();
      expect(lines[0]).toBe("express-workflow-sessions: building 8 list indexes on workflow_state (10,000+ rows); this happens once per database, later starts skip it");
      expect(lines.slice(1, 9).map((line) => line.replace(/, [\d.]+ s\)$/, ")"))).toEqual(
        [...Object.values(LIST_INDEXES), ...Object.values(OWNER_LIST_INDEXES)]
          .sort((a, b) => lines.findIndex((l) => l.includes(`(${a},`)) - lines.findIndex((l) => l.includes(`(${b},`)))
          .map((name, i) => `express-workflow-sessions: list index ${i + 1} of 8 built (${name})`),
      );
      expect(lines[9]).toMatch(/^express-workflow-sessions: list indexes built in [\d.]+ s$/);
      expect(lines).toHaveLength(10);
      // Once: the next start finds them and says nothing.
      await (await createWorkflowStore(options)).close();
      expect(lines).toHaveLength(10);
    }, 60_000);
  });

  describe("the bounded count", () => {
    it(`says ${SEARCH_COUNT_BOUND.toLocaleString("en-US")}+ until the search's walk has counted it, then the exact count`, async () => {
      const database = await backend.database();
      const own = await database.open();
      const many = SEARCH_COUNT_BOUND + 120;
      await fill(own, Array.from({ length: many }, (_, i) => ({ ...row(i), label: `Broad ${i}` })));
      const agent = visitor(buildApp({ store: own, pageSize: LIMIT }));
      const first = decoded((await agent.get("/manage/sessions/list?q=broad").expect(200)).text);
      expect(first).toContain("10,000+ sessions matching “<span");
      expect(first).toContain("Rows 1–50 of 10,000+");
      await own.listLandmarksSettled();
      const refined = await agent.get("/manage/sessions/list?q=broad&offset=10050").expect(200);
      const text = decoded(refined.text);
      expect(text).toContain(`${many.toLocaleString("en-US")} sessions matching “<span`);
      expect(text).toContain(`Rows 10,051–10,100 of ${many.toLocaleString("en-US")}<`);
      expect(rowIds(refined.text)).toEqual((await reference(own, "updated_at", true, "broad")).slice(10050, 10100));
    }, 60_000);
  });
});
