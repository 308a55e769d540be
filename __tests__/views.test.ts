import { html } from "@lit-labs/ssr";
import { formatAbsoluteTime, formatBytes, formatRelativeTime, formatSessionCount } from "../views/format.js";
import { renderView, renderViewToChunks } from "../lib/render/render-view.js";
import type { SessionListItem } from "../lib/service/enrichment.js";
import { listView } from "../views/list.js";
import { noMatchesView } from "../views/no-matches.js";
import { pageView } from "../views/page.js";
import { rememberedRows, rowTemplate, rowView } from "../views/row.js";
import type { RowViewData } from "../views/view-data.js";
import type { ManagerUrls } from "../views/view-data.js";
import { BUILT_IN_CONTEXT } from "../views/view-set.js";
import { buildApp, FLOW, openStore, rowIds, visitor, decoded } from "./helpers.js";

const urls: ManagerUrls = {
  page: "/m",
  list: "/m/list",
  create: "/m/create",
  rename: "/m/rename",
  delete: "/m/delete",
  resume: "/m/resume",
  duplicate: "/m/duplicate",
  assets: "/m/assets",
  state: "",
};
const NOW = new Date("2026-11-24T12:00:00Z");

function item(overrides: Partial<SessionListItem> = {}): SessionListItem {
  return {
    flowId: FLOW,
    sessionId: "s-1",
    label: null,
    currentStep: "review",
    createdAt: new Date("2026-11-24T10:00:00Z"),
    updatedAt: new Date("2026-11-24T10:00:00Z"),
    stateSizeBytes: 1234,
    displayLabel: "Label",
    stepTitle: "Review",
    fields: {},
    version: "v-1",
    ...overrides,
  };
}

function escapeHtml(text: string): string {
  const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  return text.replace(/[&<>"']/g, (c) => entities[c]!);
}

const TOKEN = "test-csrf-token";

const HOSTILE = [
  `<script>alert("x")</script>`,
  `"><img src=x onerror=alert(1)>`,
  `' onmouseover='alert(1)`,
  "back\\slash \\\" \\u003c",
  "${window.x} {{7*7}} `tick`",
  "x".repeat(500),
];

describe("views", () => {
  describe("rowView() remembers a row's HTML", () => {
    const base: RowViewData = {
      item: item({ fields: { n: "one" }, tags: ["a"] }),
      active: false, index: 3, selected: false, pinned: false, now: NOW, csrfToken: TOKEN,
      columns: [{ field: "n", header: "N" }],
      urls: { ...urls, export: "/m/export", activity: "/m/activity" },
    };
    const later = new Date(NOW.getTime() + 3 * 3_600_000);
    // Every input the row shows, each changed on its own: a row asked for with any of them must not be the base's.
    const changes: Array<[string, Partial<RowViewData>]> = [
      ["the session", { item: { ...base.item, sessionId: "s-2" } }],
      ["the label", { item: { ...base.item, displayLabel: "Other" } }],
      ["the version", { item: { ...base.item, version: "v-2" } }],
      ["the step", { item: { ...base.item, stepTitle: null } }],
      ["the size", { item: { ...base.item, stateSizeBytes: 99_999 } }],
      ["the tags", { item: { ...base.item, tags: ["a", "b"] } }],
      ["a tag's text", { item: { ...base.item, tags: ["b"] } }],
      ["the Updated time", { item: { ...base.item, updatedAt: new Date("2026-11-20T10:00:00Z") } }],
      ["the Created time", { item: { ...base.item, createdAt: null } }],
      ["a host column's value", { item: { ...base.item, fields: { n: "two" } } }],
      ["the relative times, as the clock moves", { now: later }],
      ["the Active badge", { active: true }],
      ["the row's place", { index: 4 }],
      ["the keyboard cursor", { selected: true }],
      ["the pin", { pinned: true }],
      ["the columns", { columns: [{ field: "n", header: "N", className: "text-right" }] }],
      ["the list state in the URLs", { urls: { ...base.urls, state: "q=x" } }],
      ["the manager's URLs", { urls: { ...base.urls, page: "/other", resume: "/other/resume", duplicate: "/other/duplicate" } }],
      ["read-only", { urls: { ...base.urls, readonly: true } }],
      ["no export or activity", { urls: { ...urls } }],
    ];

    beforeEach(() => rememberedRows.clear());
    // The row's template rendered afresh, in the one-binding template rowView() returns.
    const afresh = (data: RowViewData) => renderView(html`${rowTemplate(data)}`);

    it("and gives it again, the same as a fresh render", () => {
      const fresh = afresh(base);
      expect(fresh).not.toContain(TOKEN);
      expect(renderView(rowView(base))).toBe(fresh);
      expect(rememberedRows.size).toBe(1);
      expect(renderView(rowView({ ...base, item: { ...base.item } }))).toBe(fresh);
      expect(rememberedRows.size).toBe(1);
    });

    it.each(changes)("but never for a row whose %s differs", (_name, change) => {
      const baseHtml = renderView(rowView(base));
      const changed = { ...base, ...change };
      const fresh = afresh(changed);
      expect(fresh).not.toBe(baseHtml);
      expect(renderView(rowView(changed))).toBe(fresh);
      expect(renderView(rowView(changed))).toBe(fresh);
      expect(renderView(rowView(base))).toBe(baseHtml);
    });

    it("inside a list, with the same bytes as rows rendered afresh", () => {
      const page = { items: [base.item, item({ sessionId: "s-2", displayLabel: HOSTILE[0]! })], offset: 0, limit: 50, total: 2, orderBy: "updated_at" as const, descending: true, search: "" };
      const data = { page, urls, columns: [], csrfToken: TOKEN, now: NOW, cursor: 0, activeSessionId: undefined };
      const first = renderView(listView(data, BUILT_IN_CONTEXT));
      expect(rememberedRows.size).toBe(2);
      expect(renderView(listView(data, BUILT_IN_CONTEXT))).toBe(first);
      expect(first).toContain(escapeHtml(HOSTILE[0]!));
      expect(first).not.toContain(HOSTILE[0]!);
    });

    it("inside a list rendered to chunks, with the bytes of the list's string", () => {
      // Labels outside ASCII, one of them a surrogate pair, so a row's bytes are not its characters.
      const items = [item({ displayLabel: "Vorlesung über 😀" }), item({ sessionId: "s-2", displayLabel: "第二" })];
      const page = { items, offset: 0, limit: 50, total: 2, orderBy: "updated_at" as const, descending: true, search: "" };
      const data = { page, urls, columns: [], csrfToken: TOKEN, now: NOW, cursor: 0, activeSessionId: undefined };
      const text = renderView(listView(data, BUILT_IN_CONTEXT));
      expect(Buffer.concat(renderViewToChunks(listView(data, BUILT_IN_CONTEXT))).toString()).toBe(text);
      expect(rememberedRows.size).toBe(2);
      expect(Buffer.concat(renderViewToChunks(listView(data, BUILT_IN_CONTEXT)))).toEqual(Buffer.from(text));
    });

    it("and keeps the latest four renders of a session's row side by side", () => {
      const places = [3, 4, 5, 6, 7].map((index) => ({ ...base, index }));
      for (const data of places.slice(0, 2)) renderView(rowView(data));
      expect(rememberedRows.size).toBe(2);
      expect(renderView(rowView(places[0]!))).toBe(afresh(places[0]!));
      expect(rememberedRows.size).toBe(2);
      for (const data of places) expect(renderView(rowView(data))).toBe(afresh(data));
      expect(rememberedRows.size).toBe(4);
    });

    it("and never mixes up two rows whose inputs, joined, read the same", () => {
      const one = { ...base, item: { ...base.item, displayLabel: "Lecture 1", stepTitle: " 2" } };
      const other = { ...base, item: { ...base.item, displayLabel: "Lecture", stepTitle: " 1 2" } };
      for (const data of [one, other, one, other]) expect(renderView(rowView(data))).toBe(afresh(data));
    });
  });


  describe("rowView()", () => {
    it.each(HOSTILE)("escapes the label %j in text and attributes", (label) => {
      const html = renderView(rowView({ item: item({ displayLabel: label, label }), active: false, index: 0, selected: false, columns: [], urls, csrfToken: TOKEN, now: NOW }));
      expect(html).not.toContain("<script>");
      expect(html).not.toContain("<img");
      expect(html).toContain(`>${escapeHtml(label)}</span>`);
      expect(html).toContain(`data-session-label="${escapeHtml(label)}"`);
    });

    it("escapes host column values", () => {
      const html = renderView(
        rowView({ item: item({ fields: { n: "<b>bold</b>" } }), active: false, index: 0, selected: false, columns: [{ field: "n", header: "N" }], urls, csrfToken: TOKEN, now: NOW }),
      );
      expect(html).toContain("&lt;b&gt;bold&lt;/b&gt;");
    });

    it("shows the Active badge only on the active row", () => {
      expect(renderView(rowView({ item: item(), active: true, index: 0, selected: false, columns: [], urls, csrfToken: TOKEN, now: NOW }))).toContain(">Active</span>");
      expect(renderView(rowView({ item: item(), active: false, index: 0, selected: false, columns: [], urls, csrfToken: TOKEN, now: NOW }))).not.toContain(">Active</span>");
    });

    it("gives every action button an accessible name that includes the label", () => {
      const html = renderView(rowView({ item: item({ displayLabel: "Talk" }), active: false, index: 0, selected: false, columns: [], urls, csrfToken: TOKEN, now: NOW }));
      expect(html).toContain('aria-label="Resume Talk"');
      expect(html).toContain('aria-label="Rename Talk"');
      expect(html).toContain('aria-label="Delete Talk"');
    });
  });

  describe("listView()", () => {
    it("renders the table headers in order, with host columns between Step and Updated", () => {
      const html = renderView(
        listView({
          page: { items: [item()], total: 1, offset: 0, limit: 50, orderBy: "updated_at", descending: true, search: "" },
          cursor: 0,
          activeSessionId: undefined,
          columns: [{ field: "a", header: "Sources" }, { field: "b", header: "Segments" }],
          urls,
          csrfToken: TOKEN,
          now: NOW,
        }, BUILT_IN_CONTEXT),
      );
      const headers = [...html.matchAll(/<th scope="col"[^>]*>(?:\s*<a[^>]*>)?([^<]*)/g)].map((m) => m[1]);
      expect(headers).toEqual(["", "Session", "Step", "Sources", "Segments", "Updated", "Created", "Size", ""]);
      expect(decoded(html)).toContain("Rows 1–1 of 1");
    });
  });

  describe("a long label", () => {
    const label = "A".repeat(120) + " " + "b".repeat(79);
    const html = renderView(rowView({ item: item({ displayLabel: label, label }), active: true, index: 0, selected: false, columns: [], urls, csrfToken: TOKEN, now: NOW }));

    it("is cut by CSS only: the whole text stays in the cell, in its title and in the buttons' names", () => {
      expect(html).toContain(`<th scope="row" class="ews-label ps-2 font-medium">`);
      expect(html).toContain(`<span class="truncate" title="${label}">${label}</span>`);
      expect(html).toContain(`aria-label="Delete ${label}"`);
    });

    it("keeps the actions on one line, and the delete icon in the colour made for 3:1", () => {
      expect(html).toContain('<td class="whitespace-nowrap"><div class="flex justify-end gap-1">');
      expect(html).toMatch(/class="btn btn-ghost btn-sm btn-square ews-danger" data-action="delete"/);
      expect(html).not.toContain("text-error");
    });
  });

  describe("the search", () => {
    const page = { items: [item()], total: 1, offset: 0, limit: 50, orderBy: "updated_at" as const, descending: true, search: "" };
    const data = { title: "T", page, cursor: 0, activeSessionId: undefined, columns: [], urls, csrfToken: TOKEN, now: NOW };
    const html = renderView(pageView(data, BUILT_IN_CONTEXT));

    it("says in its placeholder that it searches stored labels and ids", () => {
      expect(html).toContain('placeholder="Search stored labels and ids"');
    });

    it("says, when nothing matches, that generated labels are not searched", () => {
      const text = decoded(renderView(noMatchesView({ search: "lec" }))).replace(/\s+/g, " ");
      expect(text).toContain("No session has a stored label or id starting with “<span class=\"break-all\">lec</span>”. Generated labels are not searched.");
    });

    it("syncs with the list's other reads on #ews-main, so the newest one wins", () => {
      expect(html).toContain('<main id="ews-main"');
      expect(html).toMatch(/<form role="search"[^>]*hx-sync="#ews-main:replace"/);
      expect(renderView(listView(data, BUILT_IN_CONTEXT))).toMatch(/<section id="ews-list"[^>]*hx-sync="#ews-main:replace"/);
    });
  });

  describe("pageView()", () => {
    const page = { items: [item()], total: 1, offset: 0, limit: 50, orderBy: "updated_at" as const, descending: true, search: "" };
    const html = renderView(pageView({ title: "T", page, cursor: 0, activeSessionId: undefined, columns: [], urls, csrfToken: TOKEN, now: NOW }, BUILT_IN_CONTEXT));

    it("sends the theme toggle and the shortcuts hidden, for the client script to show", () => {
      expect(html).toMatch(/data-action="toggle-theme" data-needs-script hidden/);
      expect(html).toMatch(/data-role="shortcuts" data-needs-script hidden/);
    });

    const legendOf = (markup: string) => [...(/data-role="shortcuts"[^>]*>([\s\S]*?)<\/p>/.exec(markup)?.[1] ?? "").matchAll(/<kbd[^>]*>(?:<!--[^>]*-->)*([^<]*)/g)].map((match) => match[1]);

    it("lists every shortcut in the legend, the ones that change something included", () => {
      expect(legendOf(html)).toEqual(expect.arrayContaining(["Enter", "F2", "Del", "n", "/", "Space", "Ctrl A"]));
      expect(html).not.toContain("data-readonly");
    });

    describe("when read-only", () => {
      const readonly = renderView(pageView({ title: "T", page, cursor: 0, activeSessionId: undefined, columns: [], urls: { ...urls, readonly: true }, csrfToken: TOKEN, now: NOW }, BUILT_IN_CONTEXT));

      it("leaves out of the legend the keys that would change something (Enter, F2, Del, n), and keeps the others", () => {
        const legend = legendOf(readonly);
        for (const key of ["Enter", "F2", "Del", "n"]) expect(legend).not.toContain(key);
        for (const key of ["PgUp PgDn", "Home End", "/", "Space", "Ctrl A"]) expect(legend).toContain(key);
        expect(readonly).not.toMatch(/> (resume|rename|delete|new)<\/span>/);
      });

      it("marks #ews-main data-readonly, for the client's shortcuts", () => {
        expect(readonly).toMatch(/<main id="ews-main"[^>]*data-readonly/);
      });
    });
  });

  describe("through the router", () => {
    it("renders hostile stored labels as text, including 500-character ones", async () => {
      const store = await openStore();
      for (const label of HOSTILE) await store.createSession(FLOW, { label });
      const res = await visitor(buildApp({ store })).get("/manage/sessions").expect(200);
      expect(rowIds(res.text)).toHaveLength(HOSTILE.length);
      expect(res.text).not.toContain('<script>alert("x")</script>');
      expect(res.text).not.toContain("<img src=x");
      expect(res.text).toContain(`>${escapeHtml(HOSTILE[0]!)}</span>`);
      expect(res.text).toContain("x".repeat(500));
    });

    it("gives htmx the page URL of the list it answers, pushed for sort, search and pages, replaced for scrolled windows", async () => {
      const app = buildApp({ store: await openStore() });
      const res = await visitor(app).get("/manage/sessions/list?sort=label&dir=asc&q=lec&offset=0").set("HX-Request", "true").expect(200);
      expect(res.headers["hx-push-url"]).toBe("/manage/sessions?sort=label&dir=asc&q=lec");
      const scrolled = await visitor(app).get("/manage/sessions/list?offset=2").set({ "HX-Request": "true", "EWS-Window": "scroll" }).expect(200);
      expect(scrolled.headers["hx-replace-url"]).toBe("/manage/sessions?offset=2");
      expect(scrolled.headers["hx-push-url"]).toBeUndefined();
    });
  });
});

describe("formatting", () => {
  it.each([
    [0, "just now"],
    [45, "45 seconds ago"],
    [60, "1 minute ago"],
    [7200, "2 hours ago"],
    [86400 * 3, "3 days ago"],
    [86400 * 65, "2 months ago"],
    [86400 * 800, "2 years ago"],
  ])("formats %i seconds ago as %j", (seconds, text) => {
    expect(formatRelativeTime(new Date(NOW.getTime() - seconds * 1000), NOW)).toBe(text);
  });

  it("formats absolute times in UTC", () => {
    expect(formatAbsoluteTime(new Date("2026-04-08T19:11:50Z"))).toBe("Apr 08, 2026 19:11 UTC");
    expect(formatAbsoluteTime(null)).toBe("");
  });

  it.each([
    [512, "512 B"],
    [1234, "1.2 KB"],
    [20 * 1024, "20 KB"],
    [3.4 * 1024 * 1024, "3.4 MB"],
  ])("formats %i bytes as %j", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it("counts sessions in words", () => {
    expect(formatSessionCount(0)).toBe("0 sessions");
    expect(formatSessionCount(1)).toBe("1 session");
    expect(formatSessionCount(100000)).toBe("100,000 sessions");
  });
});
