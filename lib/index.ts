import "./http/session-data.js";

export {
  createSessionManager,
  SESSION_ID_PATTERN,
  MAX_BODY_BYTES,
  type SessionManagerRouter,
  type RenderListOptions,
} from "./http/create-session-manager.js";
export { loadViewOverrides, VIEW_FILE_NAMES, type ViewOverrides } from "./render/view-overrides.js";
export { builtInViews } from "../views/view-set.js";
export type { View, ViewContext, ViewName, ViewResult, ViewSet } from "../views/view-types.js";
export type {
  DeleteDialogViewData,
  EmptyViewData,
  ErrorPageViewData,
  LayoutViewData,
  ListViewData,
  ManagerUrls,
  NoMatchesViewData,
  Notice,
  NoticeAction,
  PageViewData,
  RenameDialogViewData,
  RowViewData,
  ToolbarViewData,
  UndoForm,
  BulkBarViewData,
  BulkDialogViewData,
  BulkDialogChoice,
  TrashListViewData,
  ActivityListViewData,
  ActivityPageViewData,
  TrashPageViewData,
  TrashRowViewData,
  PinnedViewData,
} from "../views/view-data.js";
export { withListState, anchorParam, anchorFromParam } from "./list-state.js";
export { rowFormView } from "../views/list.js";
export { checkViewContract, type ContractProblem, type ViewContractKind, type ViewContractOptions } from "./render/check-view-contract.js";
export { createWorkflowStore, DEFAULT_FILENAME, DEFAULT_BUSY_TIMEOUT_MS, type StoreLogger, type WorkflowStoreOptions } from "./store/create-workflow-store.js";
export {
  WorkflowStore,
  stepStateKey,
  SEARCH_MATCH_CAP,
  SEARCH_COUNT_BOUND,
  LANDMARK_SPACING,
  type ListAnchor,
  type WorkflowState,
  type SessionSummary,
  type SessionOrderBy,
  type ListSessionsOptions,
  type ListWindowOptions,
  type CountSessionsOptions,
  type SessionWindow,
  type CreateSessionOptions,
  type SessionScope,
  type ReadPoint,
  type FlowCount,
  type SessionRecord,
  type SessionSnapshot,
  sessionVersion,
  type VersionedRow,
  EXPORT_BATCH_ROWS,
  type ExportedSession,
  type ExportSelection,
  type ImportedSession,
  type ImportSessionsOptions,
  TRASH_CHUNK,
  KEYS_PER_STATEMENT,
  MAX_PINS,
  MAX_TAGS,
  normalizeTags,
  MAX_TAG_LENGTH,
  MAX_LISTED_TAGS,
  TAG_COUNT_BOUND,
  type TagChange,
  type TagCount,
  type TagTarget,
  type PurgeTrashOptions,
  type TrashMatch,
  type TrashOptions,
  type TrashWindow,
  type TrashWindowOptions,
  type ChangeSubscription,
  type StoreChange,
  type StoreChangeListener,
} from "./store/workflow-store.js";
export { EXPORT_FORMAT } from "./service/session-file.js";
export {
  DEFAULT_PREFIX,
  DEFAULT_WORKFLOW_URL,
  DEFAULT_TITLE,
  DEFAULT_PAGE_SIZE,
  DEFAULT_ENRICH_CACHE_SIZE,
  DEFAULT_HOOK_TIMEOUT_MS,
  HOOK_NAMES,
  DEFAULT_IMPORT_MAX_BYTES,
  DEFAULT_TRASH_KEEP_DAYS,
  MAX_LABEL_LENGTH,
  type SessionHooks,
  type HookContext,
  type CreateHookContext,
  type RenameHookContext,
  type CreateSeed,
  type SessionManagerOptions,
  type ColumnSpec,
  type EnrichedFields,
  type SessionManagerLogger,
  type SignInHandler,
  type EventsOptions,
} from "./options.js";
export { DEFAULT_MAX_EVENT_CONNECTIONS } from "./events-options.js";
export { defaultLabel, normalizeLabel, UNTITLED_LABEL } from "./service/labels.js";
export { MISSING_VALUE } from "./service/enrichment.js";
export type { SessionListItem, SessionPage, TrashedSession, TrashListItem, TrashOrderBy, TrashPage, TrashQuery } from "./session-types.js";
export { ACTIVITY_ACTIONS, type ActivityAction, type ActivityCursor, type ActivityEvent, type ActivityStamp } from "./session-types.js";
export {
  SessionManagerError,
  InvalidInputError,
  SessionNotFoundError,
  SessionExistsError,
  PayloadTooLargeError,
  CorruptStateError,
  RestoreConflictError,
  PinLimitError,
  StoreUnavailableError,
  StoreUnreachableError,
  ConfigurationError,
  ForbiddenRequestError,
  NotSignedInError,
  ReadOnlyError,
  MethodNotAllowedError,
  UnsupportedMediaTypeError,
  PreconditionFailedError,
  RejectedError,
  HookTimeoutError,
  StreamLimitError,
  VersionConflictError,
  type RejectedErrorOptions,
  ERROR_TABLE,
  isSessionManagerError,
  type SessionManagerErrorCode,
} from "./errors.js";
export type { SessionJson, SessionListJson, TrashListJson, TrashedSessionJson } from "./http/json-replies.js";
export { CSRF_HEADER, CSRF_FIELD, csrfTokenFor, verifyCsrf, type VerifyCsrfOptions } from "./http/csrf.js";
export { CONTENT_SECURITY_POLICY } from "./http/security-headers.js";
export type { WorkflowStateDatabase, WorkflowStateEventsTable, WorkflowStatePinsTable, WorkflowStateTagsTable, WorkflowStateTable, WorkflowStateTrashTable } from "./store/workflow-state-table.js";
