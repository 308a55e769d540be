import type { TemplateResult } from "lit-html";
import type {
  DeleteDialogViewData,
  EmptyViewData,
  ErrorPageViewData,
  LayoutViewData,
  ListViewData,
  NoMatchesViewData,
  Notice,
  PinnedViewData,
  PageViewData,
  RenameDialogViewData,
  RowViewData,
  ToolbarViewData,
  TrashListViewData,
  TrashPageViewData,
  ActivityListViewData,
  ActivityPageViewData,
  TrashRowViewData,
} from "./view-data.js";

// What a view is, apart from any view: the views import these types and their data types (view-data.ts), and only
// view-set.ts imports the views, so no two files of views/ import each other, not even for types.

/**
 * What a view returns: a template from `html` (of `@lit-labs/ssr` or `lit-html`), which escapes every value, or a
 * plain string, which is rendered as text (escaped, never as markup). Views are synchronous: a promise is refused.
 */
export type ViewResult = TemplateResult | string;

/**
 * A view: a pure, synchronous function of its data. The second argument carries the view set in use, so a view
 * that renders others (the list renders rows) goes through `context.views` and picks up their overrides.
 */
export type View<Data> = (data: Data, context: ViewContext) => ViewResult;

/** The second argument of every view. */
export interface ViewContext {
  /** The views in use for this manager: the built-ins with the host's overrides applied. */
  readonly views: ViewSet;
  /** The package's own views, for an override that wraps or reuses one (e.g. a layout adding navigation). */
  readonly builtIn: ViewSet;
}

/** Every view the manager renders with, by name. Each can be replaced (see `SessionManagerOptions.views`). */
export interface ViewSet {
  /** The HTML document around a page (head, assets, body); file `layout.js`. */
  readonly layout: View<LayoutViewData>;
  /** The manager page body: header, toolbar, notices, list, dialogs; file `page.js`. */
  readonly page: View<PageViewData>;
  /** The search box and the New Session button above the list; file `toolbar.js`. */
  readonly toolbar: View<ToolbarViewData>;
  /** The list fragment `#ews-list` that htmx swaps whole; file `list.js`. */
  readonly list: View<ListViewData>;
  /** One session row of the list's table; file `row.js`. */
  readonly row: View<RowViewData>;
  /** Shown in the list when the flow has no sessions; file `empty.js`. */
  readonly empty: View<EmptyViewData>;
  /** Shown in the list when no session matches the search; file `no-matches.js`. */
  readonly noMatches: View<NoMatchesViewData>;
  /** One success or error message (a toast after an action, an alert under htmx); file `notice.js`. */
  readonly notice: View<Notice>;
  /** The rename dialog; file `rename-dialog.js`. */
  readonly renameDialog: View<RenameDialogViewData>;
  /** The delete confirmation; file `delete-dialog.js`. */
  readonly deleteDialog: View<DeleteDialogViewData>;
  /** The body of the error page shown outside htmx; file `error-page.js`. */
  readonly errorPage: View<ErrorPageViewData>;
  /** The trash page body: retention rule, search, Empty trash, the trash's list, the confirmation; file `trash-page.js`. */
  readonly trashPage: View<TrashPageViewData>;
  /** The trash's list fragment `#ews-list` (`data-list-kind="trash"`) that htmx swaps whole; file `trash-list.js`. */
  readonly trashList: View<TrashListViewData>;
  /** One row of the trash's table; file `trash-row.js`. */
  readonly trashRow: View<TrashRowViewData>;
  /** The Pinned section above the list (nothing when no session is pinned); file `pinned.js`. */
  readonly pinned: View<PinnedViewData>;
  /** The activity log's page body: a link back, what it shows, its list; file `activity-page.js`. */
  readonly activityPage: View<ActivityPageViewData>;
  /** The activity log's list `#ews-activity`: one window of events and the link to older ones; file `activity-list.js`. */
  readonly activityList: View<ActivityListViewData>;
}

/** The name of a view, as a key of {@link ViewSet}. */
export type ViewName = keyof ViewSet;

/**
 * Replacements for some of the built-in views, by name (`row`, `layout`, `noMatches`, …): what
 * `loadViewOverrides()` returns and what the `views` option accepts. Each is a synchronous function of the same
 * data as the view it replaces.
 */
export type ViewOverrides = Partial<ViewSet>;
