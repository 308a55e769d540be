/**
 * The DOM contract between the views and the client script: the ids, `data-*` attributes, roles and the request
 * header the client relies on. The built-in views and `client/` import these same constants (esbuild bundles this
 * module into the client), and `checkViewContract()` checks a host's overrides against them. This module holds
 * only constants, so it adds nothing but strings to the browser bundle.
 */

/** Element ids the client looks up. */
export const IDS = {
  /** The list fragment that htmx swaps whole and whose `data-*` attributes carry the list's state. */
  list: "ews-list",
  /** The scrolling box around the table: scrolling it fetches the windows around the rows in view. */
  viewport: "ews-viewport",
  /** The element the list's reads sync on (`hx-sync`); never swapped. */
  main: "ews-main",
  /** The notices area: notices, error answers and "the server could not be reached". */
  alerts: "ews-alerts",
  /** The rename dialog. */
  renameDialog: "ews-rename-dialog",
  /** The delete confirmation. */
  deleteDialog: "ews-delete-dialog",
} as const;

/** Values of `data-action`: the controls the client (and the keyboard) acts on. */
export const ACTIONS = {
  resume: "resume",
  rename: "rename",
  delete: "delete",
  create: "create",
  closeDialog: "close-dialog",
  toggleTheme: "toggle-theme",
} as const;

/** Values of `data-role`: elements the client reads or fills in. */
export const ROLES = {
  /** Where a dialog shows the error answer to its own request. */
  dialogError: "dialog-error",
  /** Where the delete confirmation names the session, as text. */
  deleteName: "delete-name",
  /** The search box that `/` focuses and whose value travels with every request. */
  search: "search",
} as const;

/** Attribute names of the contract. */
export const ATTRS = {
  action: "data-action",
  role: "data-role",
  /** On each row: the session's id. */
  sessionId: "data-session-id",
  /** On each row: the label the dialogs show. */
  sessionLabel: "data-session-label",
  /** On each row: its place in the whole list plus 2 (the header is row 1). */
  rowIndex: "aria-rowindex",
  /** Elements sent `hidden` that the client shows once it runs. */
  needsScript: "data-needs-script",
  /** On each spacer row: how many rows outside the window it stands for. */
  spacerRows: "data-rows",
} as const;

/** The `data-*` attributes of `#ews-list` (dataset names → attribute names) that carry the list's state. */
export const LIST_DATA = {
  listUrl: "data-list-url",
  offset: "data-offset",
  limit: "data-limit",
  total: "data-total",
  count: "data-count",
  cursor: "data-cursor",
  sort: "data-sort",
  dir: "data-dir",
  q: "data-q",
} as const;

/**
 * Optional `data-*` attributes of `#ews-list`: the window's first and last rows as keyset anchors (`anchorParam()`),
 * which the client sends as `after` or `before` so that a window near this one seeks by key. Without them (a list
 * override that leaves them out), windows seek by offset, which is exact too, only slower deep in a large list.
 */
export const LIST_ANCHOR_DATA = {
  anchorFirst: "data-anchor-first",
  anchorLast: "data-anchor-last",
} as const;

/** The class of the two spacer rows around the window. */
export const SPACER_CLASS = "ews-spacer";

/**
 * The request header that marks the client's window requests (scrolling and the cursor): the server then answers
 * `HX-Replace-Url` instead of `HX-Push-Url`, so scrolling adds no history entries.
 */
export const WINDOW_HEADER = "EWS-Window";

/** The value of {@link WINDOW_HEADER} the client sends. */
export const WINDOW_SCROLL = "scroll";

/** Selectors of the contract's ids, for `hx-target` and `hx-sync`. */
export const SELECTORS = {
  list: `#${IDS.list}`,
  main: `#${IDS.main}`,
} as const;
