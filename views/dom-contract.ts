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
  /**
   * The bulk form inside `#ews-list`: every row's checkbox belongs to it (`form="ews-bulk-form"`), so without
   * JavaScript its buttons post the checked ids (`session_id`, repeated) to `POST {prefix}/confirm`.
   */
  bulkForm: "ews-bulk-form",
  /** The bulk bar, `role="toolbar"`, inside the bulk form: "N selected", the actions, Clear. */
  bulkBar: "ews-bulk-bar",
  /** The confirmation of a bulk action ("Move 12,345 sessions to the trash?"). */
  bulkDialog: "ews-bulk-dialog",
  /**
   * The live updates' hidden element: connects to the event stream (htmx's SSE extension, `sse-connect`) and fires
   * `sse:change` on each change, on which the client reloads the list's window in place.
   */
  live: "ews-live",
  /** The form of the bulk confirmation: its hidden fields are what it acts on (`session_id`s, or `all_matching` and `q`). */
  bulkDialogForm: "ews-bulk-dialog-form",
  /**
   * The one form of the rows' own actions inside `#ews-list` (hidden: it holds only the CSRF field). Each row's
   * Resume, Duplicate and Pin button belongs to it (`form="ews-row-form"`) and names its route in `formaction`, with
   * the row's `version` in that URL's query, so 50 rows carry no form and no token of their own.
   */
  rowForm: "ews-row-form",
  /**
   * The dialog that adds a tag to the selection or removes one from it (the bulk bar's "Tag…"): its form posts the
   * text input `name` with the selection (`data-role="tag-target"`) to `POST {prefix}/tags/add`, or by its Remove
   * button's `formaction` to `POST {prefix}/tags/remove`.
   */
  tagDialog: "ews-tag-dialog",
} as const;

/** Values of `data-action`: the controls the client (and the keyboard) acts on. */
export const ACTIONS = {
  resume: "resume",
  rename: "rename",
  delete: "delete",
  duplicate: "duplicate",
  create: "create",
  export: "export",
  import: "import",
  /** A row's link to its history in the activity log (its Updated time), while the log is on. */
  history: "history",
  closeDialog: "close-dialog",
  toggleTheme: "toggle-theme",
  /** The bulk bar's Delete (moves the selection to the trash; a button `name="intent" value="delete"`). */
  bulkDelete: "bulk-delete",
  /**
   * "N new sessions" above the list (with the live updates): sessions added elsewhere while this tab was scrolled
   * away from the top wait behind it, rather than shift the rows shown; a click shows the list from its top.
   */
  showNew: "show-new",
  /** The bulk bar's "Tag…" (opens `#ews-tag-dialog` for the selection; a button `name="intent" value="tag"`). */
  bulkTag: "bulk-tag",
  /** The bulk bar's Export (posts the bulk form to `POST {prefix}/export` by its `formaction`: a download). */
  bulkExport: "bulk-export",
  /** The trash's bulk Restore (`name="intent" value="restore"`). */
  bulkRestore: "bulk-restore",
  /** The trash's bulk Delete forever (`name="intent" value="purge"`). */
  bulkPurge: "bulk-purge",
  /** The bulk bar's Clear (a `type="reset"` button of the bulk form). */
  clearSelection: "clear-selection",
  /**
   * "Select all 12,345 matching": a submit button `name="all_matching" value="1"` of the bulk form, which also
   * carries `q`. Without JavaScript it asks to confirm the bulk action on every match; the client turns it into a
   * selection of all matching. Its `data-matching` holds the number of matches.
   */
  selectAllMatching: "select-all-matching",
  /** The Undo button of a notice: a submit button of a form posting `restore` with the exact ids. */
  undo: "undo",
  /** Opens the trash page (a link in the page header). */
  openTrash: "open-trash",
  /** Restore of one trashed row (a submit button of a form posting `restore`). */
  restore: "restore",
  /** Delete forever of one trashed row (a submit button of a form asking `confirm` with `intent=purge`). */
  purge: "purge",
  /** Empty trash (a submit button of a form asking `confirm` with `intent=purge` and `all=1`). */
  emptyTrash: "empty-trash",
} as const;

/** Values of `data-role`: elements the client reads or fills in. */
export const ROLES = {
  /** Where a dialog shows the error answer to its own request. */
  dialogError: "dialog-error",
  /** Where the delete confirmation names the session, as text. */
  deleteName: "delete-name",
  /** The search box that `/` focuses and whose value travels with every request. */
  search: "search",
  /** Each row's checkbox: `name="session_id"`, the id as its value, `form="ews-bulk-form"`, named by the label. */
  selectRow: "select-row",
  /** The header checkbox that selects the rows of the window (shown once the client runs). */
  selectWindow: "select-window",
  /** In the bulk bar: the "N selected" text, which the client keeps up to date. */
  selectedCount: "selected-count",
  /** In the bulk dialog: the question, naming the session or the count. */
  bulkQuestion: "bulk-question",
  /** In the bulk dialog: the line under the question ("This cannot be undone."). */
  bulkDetail: "bulk-detail",
  /** In the tag dialog: the question, naming the session or the count. */
  tagQuestion: "tag-question",
  /** In the tag dialog's form: the hidden fields of what it acts on (`session_id`s, or `all_matching` and `q`). */
  tagTarget: "tag-target",
  /** On the trash page: how long trashed sessions are kept. */
  retentionRule: "retention-rule",
  /** In the trash's list: the text shown when nothing is in the trash (or matches). */
  trashEmpty: "trash-empty",
  /** The notice's Undo form (`POST {prefix}/restore` with one hidden `session_id` per deleted session). */
  undoForm: "undo-form",
  /** The rule above the list that idle sessions move to the trash after N days (`expireIdleAfterDays`). */
  expiryRule: "expiry-rule",
} as const;

/** Attribute names of the contract. */
export const ATTRS = {
  action: "data-action",
  role: "data-role",
  /** Set by the client on a row that another tab deleted (the live updates), and on its "Deleted elsewhere" badge. */
  deletedElsewhere: "data-deleted-elsewhere",
  /** On each row: the session's id. */
  sessionId: "data-session-id",
  /** On each row: the label the dialogs show. */
  sessionLabel: "data-session-label",
  /** On each row: the session's version, which the dialogs send back as `version`. */
  sessionVersion: "data-session-version",
  /** On each row: its place in the whole list plus 2 (the header is row 1). */
  rowIndex: "aria-rowindex",
  /** Elements sent `hidden` that the client shows once it runs. */
  needsScript: "data-needs-script",
  /** On each spacer row: how many rows outside the window it stands for. */
  spacerRows: "data-rows",
  /** On the "select all matching" button: the number of sessions that match. */
  matching: "data-matching",
  /** On `#ews-list`: `sessions` for the session list, `trash` for the trash. */
  listKind: "data-list-kind",
  /** On a notice: how many seconds it stays before it dismisses itself (the Undo notice: 10). */
  noticeTimeout: "data-timeout",
  /**
   * On `#ews-main`, when the manager is `readonly`: the keys that would change something (F2, Delete, n, Enter)
   * do nothing, since the server refuses every change.
   */
  readonly: "data-readonly",
} as const;

/** The form field names of the bulk routes (`delete`, `restore`, `purge`, `confirm`). */
export const BULK_FIELDS = {
  /** One session id; repeated for several (at most 1,000). */
  sessionId: "session_id",
  /** `1`: act on every session that matches `q` (instead of `session_id`). */
  allMatching: "all_matching",
  /** The search `all_matching` acts on. */
  query: "q",
  /** `1` on `purge`: empty the whole trash. */
  all: "all",
  /** On `confirm`: which action to confirm, `delete`, `restore` or `purge`; `tag` opens the tag dialog. */
  intent: "intent",
  /** `trash` when the answer should be the trash's list (its page or fragment); else the session list. */
  view: "view",
  /** On `restore`: the id of one delete (the Undo of a delete of all matching). */
  batch: "batch",
} as const;

/** The most `session_id` fields one bulk request may carry. */
export const MAX_BULK_IDS = 1000;

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
