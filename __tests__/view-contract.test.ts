import { join } from "node:path";
import { html } from "@lit-labs/ssr";
import { checkViewContract } from "../lib/render/check-view-contract.js";
import { loadViewOverrides } from "../lib/render/view-overrides.js";
import type { RowViewData, TrashRowViewData } from "../views/view-data.js";
import { buildApp, FLOW, openStore, ROOT, visitor } from "./helpers.js";

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

/** The trash page, its list fragment and its first row, with some of the fixture's sessions in the trash. */
async function renderedTrash(views?: Parameters<typeof buildApp>[0]["views"]) {
  const store = await openStore("workflow_state.db");
  const ids = (await store.listSessions(FLOW, { limit: 3 })).map((s) => s.sessionId);
  await store.trashSessions(FLOW, ids);
  const agent = visitor(buildApp({ store, views }));
  const list = (await agent.get(`${P}/trash/list`).expect(200)).text;
  return { page: (await agent.get(`${P}/trash`).expect(200)).text, list, row: /<tr class="ews-row"[\s\S]*?<\/tr>/.exec(list)?.[0] ?? "" };
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

  describe("given a readonly manager's views", () => {
    it("asks for no New Session, Resume, Rename or Delete: on the page by its data-readonly, on a list or row by the option", async () => {
      const store = await openStore("workflow_state.db");
      const agent = visitor(buildApp({ store, readonly: true, columns: COLUMNS, pageSize: 10 }));
      const page = (await agent.get(P).expect(200)).text;
      const list = (await agent.get(`${P}/list`).expect(200)).text;
      const row = /<tr class="ews-row"[\s\S]*?<\/tr>/.exec(list)![0];
      expect(messages(page)).toEqual([]);
      expect(checkViewContract(list, "list", { readonly: true })).toEqual([]);
      expect(checkViewContract(row, "row", { readonly: true })).toEqual([]);
      // Read as a full manager's, the same list lacks what a full manager's rows need.
      expect(messages(list)).toContain("rows need data-action=resume: Enter does not resume");
    });
  });

  describe("given a row override", () => {
    it("says what breaks when its resume button lacks data-action=resume", async () => {
      const { list } = await rendered({
        row: ({ item, index, urls }: RowViewData) => html`<tr data-session-id=${item.sessionId} data-session-label=${item.displayLabel} aria-rowindex=${index + 2}>
          <td><input type="checkbox" name="session_id" value=${item.sessionId} form="ews-bulk-form" data-role="select-row" /></td><th>${item.displayLabel}</th><td></td><td></td><td></td><td></td><td></td>
          <td><form method="post" action=${urls.resume}><button name="session_id" value=${item.sessionId}>Resume</button></form>
          <a data-action="rename" href="#">Rename</a><a data-action="delete" href="#">Delete</a></td></tr>`,
      });
      expect(messages(list)).toEqual(["rows need data-action=resume: Enter does not resume"]);
    });

    it("accepts a resume button of the list's row form, and asks a list override for that form when its rows use it", async () => {
      const rowForm = ({ item, index, urls }: RowViewData) => html`<tr data-session-id=${item.sessionId} data-session-label=${item.displayLabel} aria-rowindex=${index + 2}>
          <td><input type="checkbox" name="session_id" value=${item.sessionId} form="ews-bulk-form" data-role="select-row" /></td><th>${item.displayLabel}</th><td></td><td></td><td></td><td></td><td></td>
          <td><button type="submit" form="ews-row-form" formaction=${urls.resume} name="session_id" value=${item.sessionId} data-action="resume">Resume</button>
          <a data-action="rename" href="#">Rename</a><a data-action="delete" href="#">Delete</a></td></tr>`;
      const { list } = await rendered({ row: rowForm });
      expect(messages(list)).toEqual([]);
      expect(messages(list.replace(/<form id="ews-row-form"[\s\S]*?<\/form>/, ""))).toEqual([
        "the list needs <form id=ews-row-form method=post> with the _csrf field, since rows' buttons belong to it: Resume, Duplicate and Pin send nothing, or are refused as forged",
      ]);
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
          "rows need an <input type=checkbox data-role=select-row>: the row cannot be selected: Space, Shift+↑/↓ and the bulk actions do not reach it",
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
      ["page", `<main id="ews-main"><div id="ews-alerts"></div></main>`, "the page needs <dialog id=ews-bulk-dialog>: an action on a selection asks in the delete dialog, or not at all"],
      ["page", `<main id="ews-main"><dialog id="ews-bulk-dialog"><form method="post"></form></dialog></main>`, "#ews-bulk-dialog needs <form id=ews-bulk-dialog-form method=post>: the confirmation sends nothing"],
      ["page", `<main id="ews-main"><dialog id="ews-bulk-dialog"></dialog></main>`, "#ews-bulk-dialog needs data-role=bulk-question: the confirmation does not say what it acts on"],
      ["list", `<section id="ews-list" data-total="1"></section>`, "the list needs <form id=ews-bulk-form method=post>: the row checkboxes belong to no form: the bulk actions send nothing and the client finds no bulk route"],
      ["list", `<section id="ews-list" data-total="1"><form id="ews-bulk-form" method="post"></form></section>`, "the bulk form needs the bar id=ews-bulk-bar inside it: a selection shows no actions: Delete with a selection and the bulk buttons do nothing"],
      ["list", `<section id="ews-list" data-total="1"><form id="ews-bulk-form" method="post"><div id="ews-bulk-bar"></div></form></section>`, "the bulk bar needs data-role=selected-count: the selection's size is not shown"],
      ["row", `<tr data-session-id="s1"><td><input type="checkbox" data-role="select-row" name="session_id" value="s2" form="ews-bulk-form" /></td></tr>`, "rows need their select-row checkbox with name=session_id, form=ews-bulk-form and the row's id as value: a bulk action without JavaScript sends nothing for the row"],
    ] as const)("reports, for a %s, %j", (kind, markup, message) => {
      expect(checkViewContract(markup, kind).map((p) => p.message)).toContain(message);
    });
  });

  describe("given the built-in trash views", () => {
    it("finds nothing missing on the trash page, its list fragment or one of its rows, and reads them as the trash's", async () => {
      const { page, list, row } = await renderedTrash();
      expect(messages(page)).toEqual([]);
      expect(messages(list)).toEqual([]);
      expect(checkViewContract(row, "trashRow")).toEqual([]);
      expect(checkViewContract("<p>nothing</p>", "trashPage").map((p) => p.view)).toContain("trashPage");
      expect(checkViewContract(`<section id="ews-list" data-list-kind="trash" data-total="1"></section>`).every((p) => p.view === "trashList")).toBe(true);
    });
  });

  describe("given a trash row override", () => {
    it("says what breaks when it drops the checkbox and Restore", async () => {
      const { list } = await renderedTrash({
        trashRow: ({ item, index, urls }: TrashRowViewData) => html`<tr data-session-id=${item.sessionId} data-session-label=${item.displayLabel} aria-rowindex=${index + 2}>
          <td></td><th>${item.displayLabel}</th><td></td><td></td><td></td>
          <td><form method="post" action=${urls.delete}><button data-action="purge" name="session_id" value=${item.sessionId}>Delete forever</button></form></td></tr>`,
      });
      expect(messages(list)).toEqual([
        "rows need an <input type=checkbox data-role=select-row>: the row cannot be selected: Space, Shift+↑/↓ and the bulk actions do not reach it",
        "trash rows need data-action=restore: the row has no Restore",
      ]);
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
