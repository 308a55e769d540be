import { parse, type DefaultTreeAdapterMap } from "parse5";
import { ACTIONS, ATTRS, BULK_FIELDS, IDS, LIST_DATA, ROLES, SPACER_CLASS } from "../../views/dom-contract.js";

type Node = DefaultTreeAdapterMap["node"];
type Element = DefaultTreeAdapterMap["element"];

/**
 * Which rendered view `checkViewContract()` reads: the whole page (layout and page), the list fragment, or one row;
 * or the same three of the trash (`trashPage`, `trashList`, `trashRow`).
 */
export type ViewContractKind = "page" | "list" | "row" | "trashPage" | "trashList" | "trashRow";

type Report = (need: string, breaks: string) => void;

/** How `checkViewContract()` reads the HTML it is given. */
export interface ViewContractOptions {
  /**
   * The HTML is a `readonly` manager's: rows need no Resume, Rename or Delete (trash rows no Restore or Delete
   * forever), and the page no New Session.
   * @default whether the page's `#ews-main` carries `data-readonly` (always false for a list or a row)
   */
  readonly?: boolean;
}

/** One thing the client needs that the rendered HTML lacks, and what breaks without it. */
export interface ContractProblem {
  /** The view that was checked. */
  view: ViewContractKind;
  /** What is missing, e.g. `rows need data-action=resume`. */
  need: string;
  /** What stops working without it, e.g. `Enter does not resume`. */
  breaks: string;
  /** `need: breaks`, one line for a test's failure message. */
  message: string;
}

function elements(root: Node): Element[] {
  const found: Element[] = [];
  const walk = (node: Node): void => {
    if ("tagName" in node) found.push(node);
    const children = "content" in node && node.tagName === "template" ? node.content.childNodes : "childNodes" in node ? node.childNodes : [];
    for (const child of children) walk(child);
  };
  walk(root);
  return found;
}

const attr = (element: Element, name: string): string | undefined => element.attrs.find((a) => a.name === name)?.value;
const has = (element: Element, name: string): boolean => attr(element, name) !== undefined;
const byId = (all: Element[], id: string): Element | undefined => all.find((e) => attr(e, "id") === id);
const withAttr = (all: Element[], name: string, value: string): Element | undefined => all.find((e) => attr(e, name) === value);
const isSpacer = (row: Element): boolean => (attr(row, "class") ?? "").split(/\s+/).includes(SPACER_CLASS);
const cellCount = (row: Element): number =>
  row.childNodes.filter((c): c is Element => "tagName" in c && (c.tagName === "td" || c.tagName === "th")).reduce((n, c) => n + (Number(attr(c, "colspan")) || 1), 0);

function inside(element: Element, tagName: string): boolean {
  for (let node: Node | null = element.parentNode; node; node = "parentNode" in node ? node.parentNode : null) {
    if ("tagName" in node && node.tagName === tagName) return true;
  }
  return false;
}

function checkRows(all: Element[], trash: boolean, report: Report, readonly = false): void {
  const rows = all.filter((e) => e.tagName === "tr" && !isSpacer(e) && !inside(e, "thead"));
  if (rows.length === 0) report("a row view renders a <tr>", "the list shows no sessions");
  const header = all.find((e) => e.tagName === "tr" && inside(e, "thead"));
  for (const row of rows) {
    const within = elements(row);
    if (!has(row, ATTRS.sessionId)) report(`rows need ${ATTRS.sessionId}`, "clicking a row, the dialogs and focus after a dialog cannot find the session");
    if (!has(row, ATTRS.sessionLabel)) report(`rows need ${ATTRS.sessionLabel}`, "the rename dialog opens empty and the delete dialog names no session");
    if (!(Number(attr(row, ATTRS.rowIndex)) >= 2)) report(`rows need ${ATTRS.rowIndex} (the row's index in the whole list + 2)`, "the keyboard cursor cannot reach or mark the row, and scrolling loses it");
    const checkbox = withAttr(within, ATTRS.role, ROLES.selectRow);
    if (!checkbox || checkbox.tagName !== "input" || attr(checkbox, "type") !== "checkbox") {
      report(`rows need an <input type=checkbox ${ATTRS.role}=${ROLES.selectRow}>`, "the row cannot be selected: Space, Shift+↑/↓ and the bulk actions do not reach it");
    } else if (attr(checkbox, "name") !== BULK_FIELDS.sessionId || attr(checkbox, "form") !== IDS.bulkForm || attr(checkbox, "value") !== attr(row, ATTRS.sessionId)) {
      report(`rows need their ${ROLES.selectRow} checkbox with name=${BULK_FIELDS.sessionId}, form=${IDS.bulkForm} and the row's id as value`, "a bulk action without JavaScript sends nothing for the row");
    }
    if (trash && !readonly) {
      for (const action of [ACTIONS.restore, ACTIONS.purge]) {
        if (!withAttr(within, ATTRS.action, action)) report(`trash rows need ${ATTRS.action}=${action}`, `the row has no ${action === ACTIONS.restore ? "Restore" : "Delete forever"}`);
      }
    } else if (!trash && !readonly) checkSessionRowActions(within, report);
    if (header && cellCount(row) !== cellCount(header)) {
      report(`rows need as many cells as the header has columns (${cellCount(header)}, not ${cellCount(row)})`, "the cells sit under the wrong headers");
    }
  }
}

// Resume, Rename and Delete of a session row.
function checkSessionRowActions(within: Element[], report: Report): void {
  const resume = withAttr(within, ATTRS.action, ACTIONS.resume);
  if (!resume) report(`rows need ${ATTRS.action}=${ACTIONS.resume}`, "Enter does not resume");
  else if (!inside(resume, "form") && attr(resume, "form") !== IDS.rowForm) {
    report(`rows need their ${ATTRS.action}=${ACTIONS.resume} button inside the resume form, or in the list's row form (form=${IDS.rowForm})`, "Resume and Enter send nothing");
  }
  if (!withAttr(within, ATTRS.action, ACTIONS.rename)) report(`rows need ${ATTRS.action}=${ACTIONS.rename}`, "the row has no Rename, and focus has nowhere to return after the rename dialog");
  if (!withAttr(within, ATTRS.action, ACTIONS.delete)) report(`rows need ${ATTRS.action}=${ACTIONS.delete}`, "the row has no Delete, and focus has nowhere to return after the delete dialog");
}

// The bulk form, and inside it the bar with its "N selected", that the row checkboxes and the bulk actions use.
function checkBulkForm(listed: Element[], report: Report): void {
  const form = byId(listed, IDS.bulkForm);
  if (!form || form.tagName !== "form" || attr(form, "method") !== "post") {
    report(`the list needs <form id=${IDS.bulkForm} method=post>`, "the row checkboxes belong to no form: the bulk actions send nothing and the client finds no bulk route");
    return;
  }
  const bar = byId(elements(form), IDS.bulkBar);
  if (!bar) {
    report(`the bulk form needs the bar id=${IDS.bulkBar} inside it`, "a selection shows no actions: Delete with a selection and the bulk buttons do nothing");
    return;
  }
  if (!withAttr(elements(bar), ATTRS.role, ROLES.selectedCount)) report(`the bulk bar needs ${ATTRS.role}=${ROLES.selectedCount}`, "the selection's size is not shown");
}

// The confirmation the client fills for an action on a selection.
function checkBulkDialog(all: Element[], report: Report): void {
  const dialog = byId(all, IDS.bulkDialog);
  if (!dialog || dialog.tagName !== "dialog") {
    report(`the page needs <dialog id=${IDS.bulkDialog}>`, "an action on a selection asks in the delete dialog, or not at all");
    return;
  }
  const within = elements(dialog);
  const form = byId(within, IDS.bulkDialogForm);
  if (!form || form.tagName !== "form" || attr(form, "method") !== "post") report(`#${IDS.bulkDialog} needs <form id=${IDS.bulkDialogForm} method=post>`, "the confirmation sends nothing");
  for (const role of [ROLES.bulkQuestion, ROLES.bulkDetail, ROLES.dialogError]) {
    if (!withAttr(within, ATTRS.role, role)) {
      report(`#${IDS.bulkDialog} needs ${ATTRS.role}=${role}`, role === ROLES.dialogError ? "errors from the confirmation's request are not shown while it is open" : "the confirmation does not say what it acts on");
    }
  }
}

function checkList(all: Element[], trash: boolean, report: Report, readonly = false): void {
  const list = byId(all, IDS.list);
  if (!list) {
    report(`the list needs id=${IDS.list}`, "sorting, paging, searching and every action have nothing to replace");
    return;
  }
  const why: Record<keyof typeof LIST_DATA, string> = {
    listUrl: "scrolling and the cursor cannot fetch windows",
    offset: "the window's place is lost: scrolling, the cursor and actions start from the top",
    limit: "scrolling and PageUp/PageDown do not know the window's size",
    total: "the cursor and End do not know how many rows there are",
    count: "scrolling does not know where the window ends",
    cursor: "the keyboard cursor starts over after every swap",
    sort: "requests lose the order",
    dir: "requests lose the direction",
    q: "requests lose the search",
  };
  for (const [key, name] of Object.entries(LIST_DATA) as Array<[keyof typeof LIST_DATA, string]>) {
    if (!has(list, name)) report(`the list needs ${name}`, why[key]);
  }
  const listed = elements(list);
  if (Number(attr(list, LIST_DATA.total)) > 0) {
    if (!byId(listed, IDS.viewport)) report(`the table needs a scrolling box with id=${IDS.viewport}`, "scrolling fetches no windows");
    const spacers = listed.filter((e) => e.tagName === "tr" && isSpacer(e) && has(e, ATTRS.spacerRows));
    if (spacers.length !== 2) report(`the table needs two tr.${SPACER_CLASS} rows with ${ATTRS.spacerRows}, before and after the window`, "the scroll bar spans one window, not the whole list");
    checkBulkForm(listed, report);
    checkRows(listed, trash, report, readonly);
    checkRowForm(listed, report);
  }
}

// The rows' action form, when a row's button belongs to it (views/list.ts `rowFormView()`).
function checkRowForm(listed: Element[], report: Report): void {
  if (!listed.some((e) => attr(e, "form") === IDS.rowForm)) return;
  const form = byId(listed, IDS.rowForm);
  if (!form || form.tagName !== "form" || attr(form, "method") !== "post" || !elements(form).some((e) => attr(e, "name") === "_csrf")) {
    report(`the list needs <form id=${IDS.rowForm} method=post> with the _csrf field, since rows' buttons belong to it`, "Resume, Duplicate and Pin send nothing, or are refused as forged");
  }
}

function checkDialog(all: Element[], id: string, roles: string[], report: Report): void {
  const dialog = byId(all, id);
  if (!dialog || dialog.tagName !== "dialog") {
    report(`the page needs <dialog id=${id}>`, `${id === IDS.renameDialog ? "Rename and F2" : "Delete and the Delete key"} do nothing`);
    return;
  }
  const within = elements(dialog);
  if (!within.some((e) => e.tagName === "form" && attr(e, "method") === "post" && elements(e).some((f) => attr(f, "name") === "session_id"))) {
    report(`#${id} needs a form method=post with an input name=session_id`, "the dialog sends no session");
  }
  for (const role of roles) {
    if (!withAttr(within, ATTRS.role, role)) {
      report(`#${id} needs ${ATTRS.role}=${role}`, role === ROLES.dialogError ? "errors from the dialog's request are not shown while it is open" : "the dialog does not name the session");
    }
  }
  if (id === IDS.renameDialog && !within.some((e) => attr(e, "name") === "label")) report(`#${id} needs an input name=label`, "the new label cannot be typed");
}

function checkPage(all: Element[], document: boolean, trash: boolean, report: Report, readonly = false): void {
  if (!byId(all, IDS.main)) report(`the page needs id=${IDS.main} around the list`, "the list's reads do not sync, so a late window can overwrite a newer search");
  if (!byId(all, IDS.alerts)) report(`the page needs id=${IDS.alerts}`, "notices and error answers have nowhere to show");
  if (!withAttr(all, ATTRS.role, ROLES.search)) report(`the page needs ${ATTRS.role}=${ROLES.search}`, "/ does not focus the search, and requests lose the typed search");
  if (!trash) {
    if (!readonly && !withAttr(all, ATTRS.action, ACTIONS.create)) report(`the page needs ${ATTRS.action}=${ACTIONS.create}`, "n does not create a session");
    checkDialog(all, IDS.renameDialog, [ROLES.dialogError], report);
    checkDialog(all, IDS.deleteDialog, [ROLES.dialogError, ROLES.deleteName], report);
  }
  checkBulkDialog(all, report);
  checkList(all, trash, report, readonly);
  if (!document) return;
  const scripts = all.filter((e) => e.tagName === "script").map((e) => attr(e, "src") ?? "");
  if (!scripts.some((src) => /\/htmx(\.min)?(\.[0-9a-f]+)?\.js$/.test(src))) report("the layout needs htmx's <script>", "nothing updates in place: every action reloads the page");
  if (!scripts.some((src) => /\/client(\.[0-9a-f]+)?\.js$/.test(src))) report("the layout needs the client <script>", "no keyboard, no scrolling windows, no dialogs in place");
}

/**
 * Checks rendered HTML against the DOM contract the client relies on, and returns what is missing (empty when
 * nothing is). Run it in your own test on your overrides' output: a whole page (`layout.js` and `page.js`), the
 * list fragment (`list.js`) or one row (`row.js`), or the trash's (`trash-page.js`, `trash-list.js`,
 * `trash-row.js`). Without `kind`, a document is a page, HTML with `#ews-list` a list, and anything else a row; a
 * page or list whose `#ews-list` has `data-list-kind="trash"` is the trash's. A `readonly` manager's page is read
 * as such (its `#ews-main` says so); pass `{ readonly: true }` for its list or row. Each problem is reported once,
 * however many rows share it.
 *
 * @example
 * ```ts
 * expect(checkViewContract(html).map((p) => p.message)).toEqual([]);
 * ```
 */
export function checkViewContract(html: string, kind?: ViewContractKind, options: ViewContractOptions = {}): ContractProblem[] {
  const isDocument = /^\s*(<!doctype|<html[\s>])/i.test(html);
  const isRow = kind === "row" || kind === "trashRow" || (kind === undefined && !isDocument && !html.includes(`id="${IDS.main}"`) && !html.includes(`id="${IDS.list}"`));
  const all = elements(parse(isRow ? `<!doctype html><table><tbody>${html}</tbody></table>` : html));
  const list = byId(all, IDS.list);
  const trash = kind === undefined ? list !== undefined && attr(list, ATTRS.listKind) === "trash" : kind.startsWith("trash");
  const shape = isRow ? "row" : kind === "list" || kind === "trashList" || (kind === undefined && !isDocument && !html.includes(`id="${IDS.main}"`)) ? "list" : "page";
  const view: ViewContractKind = trash ? (shape === "row" ? "trashRow" : shape === "list" ? "trashList" : "trashPage") : shape;
  const problems: ContractProblem[] = [];
  // Each problem once, however many rows share it.
  const report = (need: string, breaks: string): void => {
    const message = `${need}: ${breaks}`;
    if (!problems.some((problem) => problem.message === message)) problems.push({ view, need, breaks, message });
  };
  // A read-only page says so on #ews-main, as the client reads it; a list or row fragment, by the option.
  const main = byId(all, IDS.main);
  const readonly = options.readonly ?? (main !== undefined && has(main, ATTRS.readonly));
  if (shape === "row") checkRows(all, trash, report, readonly);
  else if (shape === "list") checkList(all, trash, report, readonly);
  else checkPage(all, isDocument, trash, report, readonly);
  return problems;
}
