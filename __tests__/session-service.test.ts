import { sql } from "kysely";
import { InvalidInputError, SessionNotFoundError } from "../lib/errors.js";
import { resolveOptions, type SessionManagerOptions } from "../lib/options.js";
import { defaultLabel, normalizeLabel, UNTITLED_LABEL } from "../lib/service/labels.js";
import { MAX_CACHED_STATE_CHARS } from "../lib/service/enrichment.js";
import { SessionService } from "../lib/service/session-service.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { FLOW, backends, recordingLogger, type FixtureName } from "./helpers.js";

const FIRST_PAGE = { offset: 0, limit: 50, orderBy: "updated_at", descending: true, search: "" } as const;

function serviceFor(store: WorkflowStore, options: Partial<SessionManagerOptions> = {}) {
  const logger = recordingLogger();
  const service = new SessionService(resolveOptions({ store, flowId: FLOW, logger, ...options }));
  return { service, logger };
}

describe.each(backends)("SessionService on $name", (backend) => {
  const openStore = (fixture?: FixtureName) => backend.openStore(fixture);

  describe("label resolution", () => {
    it("uses the stored label first", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW, { label: "Stored" });
      const { service } = serviceFor(store, { label: () => "generated" });
      expect((await service.getItem(id)).displayLabel).toBe("Stored");
    });

    it("then the label callback, given the summary and the state", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW);
      await store.updateState(FLOW, id, { name: "from state" });
      const { service } = serviceFor(store, { label: (summary, state) => `${state.name} (${summary.sessionId.length})` });
      expect((await service.getItem(id)).displayLabel).toBe("from state (36)");
    });

    it("then `Session YYYY-MM-DD HH:MM` from created_at", async () => {
      const store = await openStore("workflow_state.db");
      const { service } = serviceFor(store, { label: () => "   " });
      expect((await service.getItem("1e51dc53-d7c0-47f0-bd9a-8e1a820e5bc0")).displayLabel).toBe("Session 2026-11-23 16:47");
    });

    it("then `Untitled Session` when there is no creation time", async () => {
      expect(defaultLabel(null)).toBe(UNTITLED_LABEL);
      const store = await openStore();
      const id = await store.createSession(FLOW);
      await sql`UPDATE workflow_state SET created_at = NULL`.execute(store.db);
      const { service } = serviceFor(store);
      expect((await service.getItem(id)).displayLabel).toBe("Untitled Session");
    });
  });

  describe("enrichment", () => {
    it("fills the host columns, as strings, with — for missing values", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW);
      const { service } = serviceFor(store, {
        columns: [{ field: "n", header: "N" }, { field: "missing", header: "M" }],
        enrich: () => ({ n: 3 }),
      });
      expect((await service.getItem(id)).fields).toEqual({ n: "3", missing: "—" });
    });

    it("runs only for the rows being shown", async () => {
      const store = await openStore();
      for (let i = 0; i < 120; i++) await store.createSession(FLOW);
      const seen: string[] = [];
      const { service } = serviceFor(store, { enrich: (_state, summary) => (seen.push(summary.sessionId), {}) });
      const page = await service.listPage({ ...FIRST_PAGE, offset: 50, limit: 20 });
      expect(page.total).toBe(120);
      expect(page.items).toHaveLength(20);
      expect(seen.sort()).toEqual(page.items.map((item) => item.sessionId).sort());
    });

    it("calls enrich and label again only for rows whose state, label, step or times changed", async () => {
      const store = await openStore();
      const [a, b, c] = [await store.createSession(FLOW), await store.createSession(FLOW), await store.createSession(FLOW)];
      const enriched: string[] = [];
      const labelled: string[] = [];
      const { service } = serviceFor(store, {
        enrich: (_state, summary) => (enriched.push(summary.sessionId), {}),
        label: (summary) => (labelled.push(summary.sessionId), undefined),
      });
      await service.listPage(FIRST_PAGE);
      expect(enriched.sort()).toEqual([a, b, c].sort());
      enriched.length = labelled.length = 0;

      await service.listPage(FIRST_PAGE);
      expect([enriched, labelled]).toEqual([[], []]);

      await store.updateState(FLOW, a!, { n: 1 });
      await store.setCurrentStep(FLOW, b!, "review");
      await store.setSessionLabel(FLOW, c!, "named");
      await service.listPage(FIRST_PAGE);
      expect(enriched.sort()).toEqual([a, b, c].sort());
      expect(labelled.sort()).toEqual([a, b].sort()); // c has a stored label now
    });

    it("calls them for every list with enrichCacheSize: 0", async () => {
      const store = await openStore();
      await store.createSession(FLOW);
      let calls = 0;
      const { service } = serviceFor(store, { enrichCacheSize: 0, enrich: () => (calls++, {}) });
      await service.listPage(FIRST_PAGE);
      await service.listPage(FIRST_PAGE);
      expect(calls).toBe(2);
    });

    it("remembers at most enrichCacheSize rows, forgetting the least recently used first", async () => {
      const store = await openStore();
      const [a, b, c] = [await store.createSession(FLOW), await store.createSession(FLOW), await store.createSession(FLOW)];
      const enriched: string[] = [];
      const { service } = serviceFor(store, { enrichCacheSize: 2, enrich: (_state, summary) => (enriched.push(summary.sessionId), {}) });
      for (const id of [a, b, a, c]) await service.getItem(id!); // a is used again after b, so c's entry pushes b out
      expect(enriched).toEqual([a, b, c]);
      enriched.length = 0;
      for (const id of [a, c, b]) await service.getItem(id!);
      expect(enriched).toEqual([b]);
    });

    it("does not remember a row whose state is over a sixteenth of the 16 MB the cache holds", async () => {
      const store = await openStore();
      const [big, small] = [await store.createSession(FLOW), await store.createSession(FLOW)];
      await store.updateState(FLOW, big!, { text: "x".repeat(MAX_CACHED_STATE_CHARS / 16 + 1) });
      const enriched: string[] = [];
      const { service } = serviceFor(store, { enrich: (_state, summary) => (enriched.push(summary.sessionId), {}) });
      for (let i = 0; i < 2; i++) for (const id of [big, small]) await service.getItem(id!);
      expect(enriched).toEqual([big, small, big]);
    });

    it("still remembers the other rows when one row's enricher fails", async () => {
      const store = await openStore();
      const bad = await store.createSession(FLOW, { label: "bad" });
      for (let i = 0; i < 5; i++) await store.createSession(FLOW);
      const enriched: string[] = [];
      const { service } = serviceFor(store, {
        enrich: async (_state, summary) => {
          await new Promise((resolve) => setImmediate(resolve)); // the rows are enriched concurrently
          enriched.push(summary.sessionId);
          if (summary.sessionId === bad) throw new Error("bad row");
          return {};
        },
      });
      await service.listPage(FIRST_PAGE);
      enriched.length = 0;
      await service.listPage(FIRST_PAGE);
      expect(enriched).toEqual([bad]);
    });

    it("does not remember a result that came with a problem", async () => {
      const store = await openStore();
      await store.createSession(FLOW);
      let calls = 0;
      const { service, logger } = serviceFor(store, {
        columns: [{ field: "n", header: "N" }],
        enrich: () => {
          if (++calls === 1) throw new Error("first call fails");
          return { n: calls };
        },
      });
      expect((await service.listPage(FIRST_PAGE)).items[0]!.fields.n).toBe("—");
      expect((await service.listPage(FIRST_PAGE)).items[0]!.fields.n).toBe("2");
      expect((await service.listPage(FIRST_PAGE)).items[0]!.fields.n).toBe("2");
      expect(logger.warnings).toHaveLength(1);
    });

    it("gives — cells and logs one warning when the enricher throws, and the page still lists every row", async () => {
      const store = await openStore("workflow_state.db");
      const { service, logger } = serviceFor(store, {
        columns: [{ field: "sources", header: "Sources" }],
        enrich: () => {
          throw new Error("enricher exploded");
        },
      });
      const page = await service.listPage(FIRST_PAGE);
      expect(page.items).toHaveLength(24);
      expect(page.items.every((item) => item.fields.sources === "—")).toBe(true);
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]).toContain("enricher exploded");
    });

    it("gives the default label and one warning when the label callback throws", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW);
      const { service, logger } = serviceFor(store, {
        label: () => {
          throw new Error("no label for you");
        },
      });
      expect((await service.getItem(id)).displayLabel).toMatch(/^Session \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
      expect(logger.warnings).toHaveLength(1);
    });

    it("treats a row whose state_json is not JSON like a failing enricher", async () => {
      const store = await openStore();
      const good = await store.createSession(FLOW, { label: "good" });
      const bad = await store.createSession(FLOW, { label: "bad" });
      await store.updateState(FLOW, good, { n: 1 });
      await sql`UPDATE workflow_state SET state_json = 'garbage' WHERE flow_session_key = ${`${FLOW}:${bad}`}`.execute(store.db);
      const { service, logger } = serviceFor(store, { columns: [{ field: "n", header: "N" }], enrich: (state) => ({ n: state.n as number }) });
      const page = await service.listPage(FIRST_PAGE);
      const byLabel = Object.fromEntries(page.items.map((item) => [item.displayLabel, item.fields.n]));
      expect(byLabel).toEqual({ good: "1", bad: "—" });
      expect(logger.warnings).toHaveLength(1);
    });
  });

  describe("listPage()", () => {
    it("moves back to the last full window when the offset is past the end", async () => {
      const store = await openStore();
      for (let i = 0; i < 7; i++) await store.createSession(FLOW);
      const { service } = serviceFor(store);
      const page = await service.listPage({ ...FIRST_PAGE, offset: 100, limit: 5 });
      expect(page.offset).toBe(2);
      expect(page.items).toHaveLength(5);
    });
  });

  describe("rename()", () => {
    it("trims, strips control characters, and clears the label when empty", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW, { label: "old" });
      const { service } = serviceFor(store);
      expect((await service.rename(id, "  new\u0000 name\u0007 ")).label).toBe("new name");
      expect((await service.rename(id, "   ")).label).toBeNull();
    });

    it("rejects labels over 200 characters and changes nothing", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW, { label: "old" });
      const { service } = serviceFor(store);
      await expect(service.rename(id, "x".repeat(201))).rejects.toThrow(InvalidInputError);
      expect((await store.getSessionSummary(FLOW, id))?.label).toBe("old");
      expect((await service.rename(id, "y".repeat(200))).label).toHaveLength(200);
    });

    it("throws SessionNotFoundError for an unknown id", async () => {
      const store = await openStore();
      const { service } = serviceFor(store);
      await expect(service.rename("missing", "x")).rejects.toThrow(SessionNotFoundError);
    });
  });

  describe("resume()", () => {
    it("gives the id to make active for a session of the caller's", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW, { owner: "ada" });
      const { service } = serviceFor(store);
      expect(await service.resume(id, { owner: "ada" })).toBe(id);
    });

    it("throws SessionNotFoundError for an unknown id and for another owner's session", async () => {
      const store = await openStore();
      const id = await store.createSession(FLOW, { owner: "ada" });
      const { service } = serviceFor(store);
      await expect(service.resume("no-such-session")).rejects.toBeInstanceOf(SessionNotFoundError);
      await expect(service.resume(id, { owner: "bob" })).rejects.toBeInstanceOf(SessionNotFoundError);
    });
  });

  describe("delete()", () => {
    it("keeps the active session when another one is deleted", async () => {
      const store = await openStore();
      const a = await store.createSession(FLOW);
      const b = await store.createSession(FLOW);
      const { service } = serviceFor(store);
      expect(await service.delete(b, a)).toBe(a);
    });

    it("makes the most recently updated remaining session active when the active one is deleted", async () => {
      const store = await openStore("workflow_state.db");
      const { service } = serviceFor(store);
      const newest = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
      const second = "a12c9948-76a9-4cf9-878b-93e298d58571";
      expect(await service.delete(newest, newest)).toBe(second);
    });

    it("creates a fresh session when the last one is deleted", async () => {
      const store = await openStore();
      const only = await store.createSession(FLOW);
      const { service } = serviceFor(store);
      const next = await service.delete(only, only);
      expect(next).toBeDefined();
      expect(next).not.toBe(only);
      expect(await store.listSessions(FLOW)).toEqual([expect.objectContaining({ sessionId: next })]);
    });
  });
});

describe("normalizeLabel()", () => {
  it.each([
    ["  padded  ", "padded"],
    ["", null],
    ["line\nbreak\ttab", "line break tab"],
    ["bell\u0007 and \u009b csi", "bell and  csi"],
    ["<script>alert(1)</script>", "<script>alert(1)</script>"],
    ["é".repeat(200), "é".repeat(200)],
  ])("turns %j into %j", (input, expected) => {
    expect(normalizeLabel(input)).toBe(expected);
  });

  it("counts characters, not UTF-16 units, against the 200 limit", () => {
    expect(normalizeLabel("😀".repeat(200))).toHaveLength(400);
    expect(() => normalizeLabel("😀".repeat(201))).toThrow("at most 200 characters");
  });
});
