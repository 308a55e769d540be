import { deleteDialogView } from "./delete-dialog.js";
import { emptyView } from "./empty.js";
import { errorPageView } from "./error-page.js";
import { layoutView } from "./layout.js";
import { listView } from "./list.js";
import { noMatchesView } from "./no-matches.js";
import { noticeView } from "./notice.js";
import { pageView } from "./page.js";
import { pinnedView } from "./pinned.js";
import { renameDialogView } from "./rename-dialog.js";
import { rowView } from "./row.js";
import { toolbarView } from "./toolbar.js";
import { trashListView } from "./trash-list.js";
import { trashPageView } from "./trash-page.js";
import { trashRowView } from "./trash-row.js";
import { activityListView } from "./activity-list.js";
import { activityPageView } from "./activity-page.js";
import type { ViewContext, ViewSet } from "./view-types.js";

export type { View, ViewContext, ViewName, ViewOverrides, ViewResult, ViewSet } from "./view-types.js";

/** The package's own views. */
export const builtInViews: ViewSet = Object.freeze({
  layout: layoutView,
  page: pageView,
  toolbar: toolbarView,
  list: listView,
  row: rowView,
  empty: emptyView,
  noMatches: noMatchesView,
  notice: noticeView,
  renameDialog: renameDialogView,
  deleteDialog: deleteDialogView,
  errorPage: errorPageView,
  trashPage: trashPageView,
  trashList: trashListView,
  trashRow: trashRowView,
  pinned: pinnedView,
  activityPage: activityPageView,
  activityList: activityListView,
});

/** The context the built-in views render with when nothing is overridden. */
export const BUILT_IN_CONTEXT: ViewContext = Object.freeze({ views: builtInViews, builtIn: builtInViews });
