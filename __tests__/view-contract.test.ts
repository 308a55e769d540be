import { join } from "node:path";
import { html } from "@lit-labs/ssr";
import { checkViewContract } from "../lib/render/check-view-contract.js";
import { loadViewOverrides } from "../lib/render/view-overrides.js";
import type { RowViewData } from "../views/view-data.js";
import { buildApp, openStore, ROOT, visitor } from "./helpers.js";

const P = "/manage/sessions";
const README_EXAMPLES = join(ROOT, "__tests__", "view-overrides", "readme");
const COLUMNS = [{ field: "sources", header: "Sources" }];
const messages = (html: string) => checkViewContract(html).map((problem) => problem.message);

/** A page, its list fragment and a list whose window has rows before and after it, as the visitor gets them. */
async function rendered(views?: Parameters<typeof buildApp>[0]["views"]) {
  const store = await openStore("workflow_state.db");
  const agent = visitor(buildApp({ store, views, columns: COLUMNS, pageSize: 10 }));
  return {
    page: (await agent.get(P).expect(200)).text,
    list: (await agent.get(`${P}/list`).expect(200)).text,
    middle: (await agent.get(`${P}/list?offset=10`).expect(200)).text,
  };
}

describe("checkViewContract()", () => {
  describe("given the built-in views", () => {
    it("finds nothing missing on the page, the list fragment or a window in the middle of the list", async () => {
      const { page, list, middle } = await rendered();
      expect(messages(page)).toEqual([]);
      expect(messages(list)).toEqual([]);
      expect(messages(middle)).toEqual([]);
    });

    it("reads a whole document as a page, HTML with #ews-list as a list, and anything else as a row", async () => {
      const { page, list } = await rendered();
      const row = /<tr class="ews-row"[\s\S]*?<\/tr>/.exec(list)![0];
      expect(checkViewContract("<p>nothing</p>", "page").map((p) => p.view)).toContain("page");
      expect(checkViewContract(page)).toEqual([]);
      expect(checkViewContract(list)).toEqual([]);
      expect(checkViewContract(row)).toEqual([]);
    });
  });

  describe("given a row override", () => {
    it("says what breaks when its resume button lacks data-action=resume", async () => {
      const { list } = await rendered({
        row: ({ item, index, urls }: RowViewData) => html`<tr data-session-id=${item.sessionId} data-session-label=${item.displayLabel} aria-rowindex=${index + 2}>
          <td></td><th>${item.displayLabel}</th><td></td><td></td><td></td><td></td><td></td>
          <td><form method="post" action=${urls.resume}><button name="session_id" value=${item.sessionId}>Resume</button></form>
          <a data-action="rename" href="#">Rename</a><a data-action="delete" href="#">Delete</a></td></tr>`,
      });
      expect(messages(list)).toEqual(["rows need data-action=resume: Enter does not resume"]);
    });

    it("says what breaks when it drops columns, ids and controls (today's README example)", async () => {
      const { list } = await rendered({
        row: ({ item, index, urls, csrfToken }: RowViewData) => html`<tr class="ews-row" data-session-id=${item.sessionId} aria-rowindex=${index + 2}>
          <th scope="row">${item.displayLabel}</th><td>${item.stepTitle ?? "—"}</td>
          <td><form method="post" action=${urls.resume}><input type="hidden" name="_csrf" value=${csrfToken} /><button name="session_id" value=${item.sessionId}>Resume</button></form></td></tr>`,
      });
      const problems = checkViewContract(list);
      expect(new Set(problems.map((p) => p.message))).toEqual(
        new Set([
          "rows need data-session-label: the rename dialog opens empty and the delete dialog names no session",
          "rows need data-action=resume: Enter does not resume",
          "rows need data-action=rename: the row has no Rename, and focus has nowhere to return after the rename dialog",
          "rows need data-action=delete: the row has no Delete, and focus has nowhere to return after the delete dialog",
          "rows need as many cells as the header has columns (8, not 3): the cells sit under the wrong headers",
        ]),
      );
      expect(problems.every((p) => p.view === "list" && p.message === `${p.need}: ${p.breaks}`)).toBe(true);
    });
  });

  describe("given a page or list without the ids the client looks up", () => {
    it.each([
      ["list", `<section data-list-url="/l"></section>`, "the list needs id=ews-list: sorting, paging, searching and every action have nothing to replace"],
      ["page", `<main id="ews-main"><div id="ews-alerts"></div></main>`, "the page needs <dialog id=ews-rename-dialog>: Rename and F2 do nothing"],
      ["page", `<!doctype html><html><head></head><body><main id="ews-main"></main></body></html>`, "the layout needs the client <script>: no keyboard, no scrolling windows, no dialogs in place"],
    ] as const)("reports, for a %s, %j", (kind, markup, message) => {
      expect(checkViewContract(markup, kind).map((p) => p.message)).toContain(message);
    });
  });

  describe("given the README's override examples (row.js and layout.js)", () => {
    it("passes on the page, the list fragment and a window in the middle, keeping every column of the header", async () => {
      const views = await loadViewOverrides(README_EXAMPLES);
      const { page, list, middle } = await rendered(views);
      expect(page).toContain('<nav class="navbar bg-base-100">');
      expect(messages(page)).toEqual([]);
      expect(messages(list)).toEqual([]);
      expect(messages(middle)).toEqual([]);
      expect(list).toMatch(/<a class="btn btn-ghost btn-sm" href="[^"]*rename=[^"]+" hx-boost="false" data-action="rename">Rename<\/a>/);
    });
  });
});
