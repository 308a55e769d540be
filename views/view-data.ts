import type { ActivityEvent, ColumnSpec, SessionListItem, SessionPage, TagCount, TrashListItem, TrashPage } from "../lib/session-types.js";

/** The manager's URLs for one request, built from where the router is mounted. */
export interface ManagerUrls {
  /** GET: the full page. */
  page: string;
  /** GET: the list fragment. */
  list: string;
  /** POST: create a session. */
  create: string;
  /** POST: rename a session (`session_id`, `label`). */
  rename: string;
  /** POST: delete a session (`session_id`). */
  delete: string;
  /** POST: resume a session (`session_id`). */
  resume: string;
  /** POST: duplicate a session (`session_id`). */
  duplicate: string;
  /** POST: pin a session (`session_id`); default `{page}/pin`. */
  pin?: string | undefined;
  /** POST: unpin a session (`session_id`); default `{page}/unpin`. */
  unpin?: string | undefined;
  /** POST: set a session's tags (`session_id`, repeated `tag`); default `{page}/tags`. */
  tags?: string | undefined;
  /** POST: add the tag `name` to many sessions (as `delete`: `session_id` repeated, or `all_matching=1` with `q`); default `{page}/tags/add`. */
  addTag?: string | undefined;
  /** POST: remove the tag `name` from many sessions, as `addTag`; default `{page}/tags/remove`. */
  removeTag?: string | undefined;
  /** GET: download sessions as an export file (`session_id`, repeatable, or `all_matching=1&q=…`); no Export action without it. */
  export?: string | undefined;
  /** POST: import an export file (multipart, field `file`; `keep_ids=1`); no Import button without it. */
  import?: string | undefined;
  /** GET: the trash page; default `{page}/trash`. */
  trash?: string | undefined;
  /** GET: the activity log (`session_id` for one session's history); no History links without it (`activity: false`). */
  activity?: string | undefined;
  /** GET: the trash's list fragment; default `{page}/trash/list`. */
  trashList?: string | undefined;
  /** POST: restore trashed sessions (`session_id` repeated, or `all_matching=1` with `q`); default `{page}/restore`. */
  restore?: string | undefined;
  /** POST: delete trashed sessions forever (`session_id` repeated, `all_matching=1` with `q`, or `all=1`); default `{page}/purge`. */
  purge?: string | undefined;
  /** POST: the page with the confirmation of a bulk action open (`intent` and the ids); default `{page}/confirm`. */
  confirm?: string | undefined;
  /** GET: the live updates' event stream (docs/live-updates.md); the page does not follow changes without it. */
  events?: string | undefined;
  /**
   * The folder the CSS and scripts are served from. The plain names under it (`app.css`, `htmx.min.js`,
   * `client.js`) are served `no-cache`; prefer {@link ManagerUrls.assetUrls}, which caches for a year.
   */
  assets: string;
  /** The content-hashed asset URLs, served `Cache-Control: public, max-age=31536000, immutable`. */
  assetUrls?: AssetUrls | undefined;
  /**
   * The query string of the list as it is shown (order, search and window, without defaults), e.g.
   * `sort=label&dir=asc&offset=50`; empty for the first window newest first. Links and forms that work without
   * JavaScript carry it (see `withListState()`), so Rename, Delete and Cancel come back to the same list.
   */
  state: string;
  /**
   * True when the manager was set up with `readonly: true`: it refuses every change, so the views leave out New
   * Session, Resume, Rename and Delete.
   */
  readonly?: boolean | undefined;
}

/** The content-hashed URLs of the manager's assets, e.g. `/sessions/assets/app.3f2a9c1b0d.css`. */
export interface AssetUrls {
  /** The stylesheet. */
  styles: string;
  /** htmx. */
  htmx: string;
  /** The client script. */
  client: string;
  /** htmx's server-sent-events extension (`htmx-ext-sse`), for the live updates. */
  sse: string;
}

/** A message shown above the list after an action. */
export interface Notice {
  kind: "success" | "error" | "info";
  message: string;
  /** A button the notice offers, e.g. Resume after a duplicate: a real form that posts `fields` to `url`. */
  action?: NoticeAction | undefined;
  /** After a delete into the trash: the Undo form, which posts `restore` with exactly what was deleted. */
  undo?: UndoForm | undefined;
}

/** A notice's button: a form posting hidden `fields` (the CSRF token among them) to `url`. */
export interface NoticeAction {
  /** The button's text. */
  label: string;
  url: string;
  fields: Readonly<Record<string, string>>;
}
/**
 * The Undo form of a notice: `POST restore` with one `session_id` per deleted session, or, for a delete of all
 * matching, the `batch` every row of that delete carries.
 */
export interface UndoForm {
  /** Where the form posts (`POST {prefix}/restore`). */
  url: string;
  /** The ids deleted; empty when `batch` stands for them. */
  sessionIds: readonly string[];
  /** The id of the delete, which every row it moved to the trash carries; restores them all. */
  batch?: string | undefined;
  csrfToken: string;
}

/** Everything the list fragment shows. */
export interface ListViewData {
  page: SessionPage;
  /** The keyboard cursor's row, 0-based over the whole list; marked `aria-selected` when it is in the window. */
  cursor: number;
  activeSessionId: string | undefined;
  columns: readonly ColumnSpec[];
  urls: ManagerUrls;
  /** The visitor's CSRF token, put in every form. */
  csrfToken: string;
  /** The reference time for relative times. */
  now: Date;
  /** The caller's pinned sessions, in pin order, shown in the Pinned section above the list. @default none */
  pinned?: readonly SessionListItem[] | undefined;
  /** The caller's tags of the flow with their counts, shown as filter chips in the toolbar. @default none */
  tagCounts?: readonly TagCount[] | undefined;
}

/** Everything one table row shows. */
export interface RowViewData {
  item: SessionListItem;
  active: boolean;
  /** The row's place in the whole list, 0-based. */
  index: number;
  /** True for the keyboard cursor's row. */
  selected: boolean;
  columns: readonly ColumnSpec[];
  urls: ManagerUrls;
  csrfToken: string;
  now: Date;
  /** True when the session is pinned: the row offers Unpin instead of Pin. @default false */
  pinned?: boolean | undefined;
}

/** Everything the full page shows. */
export interface PageViewData extends ListViewData {
  title: string;
  /** Days a trashed session is kept before it is purged; `false` when delete is permanent (no trash). */
  trashKeepDays?: number | false | undefined;
  /** With `expireIdleAfterDays`, the days after which an idle session moves to the trash; the page states the rule. */
  expireIdleAfterDays?: number | undefined;
  notice?: Notice | undefined;
  /** A dialog rendered open, for browsers without JavaScript. */
  dialog?: OpenDialog | undefined;
  /** The confirmation of a bulk action, rendered open for browsers without JavaScript (`POST {prefix}/confirm`). */
  bulkDialog?: BulkDialogViewData | undefined;
  /** The tag dialog, rendered open for browsers without JavaScript (`POST {prefix}/confirm` with `intent=tag`). */
  tagDialog?: TagDialogViewData | undefined;
}

/** What the dialog that adds or removes one tag on many sessions receives. */
export interface TagDialogViewData {
  urls: ManagerUrls;
  csrfToken: string;
  /** "Add or remove a tag on 12 sessions", or naming the one session. */
  question: string;
  /** The sessions it acts on, one hidden `session_id` each; none with `allMatching`. */
  sessionIds: readonly string[];
  /** Acts on every session matching `search` instead. */
  allMatching: boolean;
  search: string;
  /** The caller's tags of the flow, offered as completions (the rename dialog's `<datalist>`). @default none */
  tagOptions?: readonly string[] | undefined;
  /** Rendered open (without JavaScript); the client opens the closed one. */
  open: boolean;
}

/** The session a dialog is rendered open for, when the page is asked for with `?rename=<id>` or `?delete=<id>`. */
export interface DialogSession {
  sessionId: string;
  /** The session's version, sent back by the dialog's form as `version`. */
  version?: string | undefined;
  /** The label the list shows for the session. */
  label: string;
  /** The session's tags, for the rename dialog's tag editor. @default none */
  tags?: readonly string[] | undefined;
}

/** Which dialog the page opens on the server, for browsers without JavaScript. */
export interface OpenDialog {
  kind: "rename" | "delete";
  session: DialogSession;
}

/** What the document shell receives. */
export interface LayoutViewData {
  title: string;
  urls: ManagerUrls;
  /** The page body. */
  content: unknown;
  /** The visitor's CSRF token: rendered as `<meta name="csrf-token">` and sent by htmx as `X-CSRF-Token`. */
  csrfToken?: string | undefined;
}

/** What the toolbar receives. */
export interface ToolbarViewData {
  page: SessionPage;
  urls: ManagerUrls;
  csrfToken: string;
}

/** What the empty state receives. */
export interface EmptyViewData {
  urls: ManagerUrls;
  csrfToken: string;
}

/** What the no-matches state receives. */
export interface NoMatchesViewData {
  search: string;
  /** The tags the list is filtered by. @default none */
  tags?: readonly string[] | undefined;
}

/** What the rename dialog receives. */
export interface RenameDialogViewData {
  urls: ManagerUrls;
  csrfToken: string;
  /** The session to rename when the page is rendered with the dialog open (`?rename=<id>`, for browsers without JavaScript). */
  session?: DialogSession | undefined;
  /** The caller's tags of the flow, offered as completions by the tag editor (a `<datalist>`). @default none */
  tagOptions?: readonly string[] | undefined;
}

/** What the delete confirmation receives. */
export interface DeleteDialogViewData {
  urls: ManagerUrls;
  csrfToken: string;
  /** Days the trash keeps a deleted session, or `false` when delete is permanent (the dialog then says so). @default 30 */
  trashKeepDays?: number | false | undefined;
  /** The session to delete when the page is rendered with the dialog open (`?delete=<id>`, for browsers without JavaScript). */
  session?: DialogSession | undefined;
}

/** What the error page receives. */
export interface ErrorPageViewData {
  status: number;
  message: string;
  /** Where the "Back" link goes. */
  backUrl: string;
}

/** What the bulk form and its bar receive (see `bulkBarView()`). */
export interface BulkBarViewData {
  /** `sessions` on the list (Delete), `trash` in the trash (Restore, Delete forever). */
  kind: "sessions" | "trash";
  /** How many sessions match the current search: the count "Select all N matching" names. */
  total: number;
  /** True when `total` stopped at the search cap (shown as `1,000+`). */
  capped: boolean;
  /** The current search, which "all matching" carries as `q`. */
  search: string;
  /** Where the form posts: `POST {prefix}/confirm`. */
  confirmUrl: string;
  /** `POST {prefix}/export`, which the bar's Export button sends the checked ids to (no Export without it). */
  exportUrl?: string | undefined;
  /** The list state the form carries in its action's query, so the answer comes back to the same list. */
  state: string;
  csrfToken: string;
  /** True with `readonly: true`: the bar keeps Export and Clear, and leaves out what would change sessions. */
  readonly?: boolean | undefined;
}

/** Everything the trash's list fragment shows. */
/** The activity log's list: one window of events, newest first. */
export interface ActivityListViewData {
  /** The events of the window, newest first. */
  events: ActivityEvent[];
  /** The session whose history this is; `undefined` for every session of the owner. */
  sessionId: string | undefined;
  /** The `cursor` of the next (older) window, `undefined` after the last. */
  next: string | undefined;
  /** True when this window follows another (it has a `cursor`). */
  continued: boolean;
  urls: ManagerUrls;
  /** The reference time for relative times. */
  now: Date;
}

/** The activity log's page body. */
export interface ActivityPageViewData extends ActivityListViewData {
  title: string;
}

export interface TrashListViewData {
  page: TrashPage;
  urls: ManagerUrls;
  csrfToken: string;
  /** The reference time for relative times. */
  now: Date;
}

/** One row of the trash. */
export interface TrashRowViewData {
  item: TrashListItem;
  /** The row's place in the whole trash list, 0-based. */
  index: number;
  urls: ManagerUrls;
  csrfToken: string;
  now: Date;
}

/** Everything the trash page shows. */
export interface TrashPageViewData extends TrashListViewData {
  title: string;
  /** Days a trashed session is kept. */
  keepDays: number;
  notice?: Notice | undefined;
  /** A confirmation rendered open, for browsers without JavaScript. */
  dialog?: BulkDialogViewData | undefined;
}

/** One way to answer a confirmation: a submit button posting the dialog's form to `url`. */
export interface BulkDialogChoice {
  /** The button's text, e.g. "Move to trash". */
  label: string;
  /** Where it posts: `delete`, `restore` or `purge`, with the list state. */
  url: string;
  /** Styled as a dangerous action (Delete forever, permanent delete). */
  danger: boolean;
}

/** A confirmation of an action on one session or many: it names the session, or gives the count. */
export interface BulkDialogViewData {
  /** "Move 12,345 sessions to the trash?", or "Move “Lecture 01” to the trash?". */
  question: string;
  /** A line under the question, e.g. "This cannot be undone." */
  detail: string;
  /** The buttons; the first is the default answer. */
  choices: readonly BulkDialogChoice[];
  /** The ids to act on; empty with `allMatching` or `all`. */
  sessionIds: readonly string[];
  /** Acts on every session that matches `search`. */
  allMatching: boolean;
  /** Empties the whole trash. */
  all: boolean;
  search: string;
  /** Which list the answer goes back to. */
  view: "sessions" | "trash";
  /** Where Cancel goes. */
  cancelUrl: string;
  csrfToken: string;
  /** Rendered open (no JavaScript); closed, it is the client's to fill. */
  open: boolean;
}

/** What the Pinned section shows. */
export interface PinnedViewData {
  /** The caller's pinned sessions, in pin order. */
  items: readonly SessionListItem[];
  activeSessionId: string | undefined;
  urls: ManagerUrls;
  csrfToken: string;
}
