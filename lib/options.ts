import { ConfigurationError } from "./errors.js";
import { resolveEventsOption, type EventsOptions, type ResolvedEventsOptions } from "./events-options.js";
import type { Request, Response } from "express";
import type { ColumnSpec, EnrichedFields, SessionListItem, SessionSummary, WorkflowState } from "./session-types.js";
import type { WorkflowStore } from "./store/workflow-store.js";
import type { ViewOverrides } from "../views/view-types.js";

export { MAX_LABEL_LENGTH, type ColumnSpec, type EnrichedFields } from "./session-types.js";
export type { EventsOptions, ResolvedEventsOptions } from "./events-options.js";

/** A logger with the two levels the manager uses. */
export interface SessionManagerLogger {
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

/**
 * The function form of {@link SessionManagerOptions.signIn}: answers a signed-out visitor's request, e.g. with a
 * redirect to the host's sign-in. `returnTo` is the path (with its query) of the page to come back to afterwards.
 */
export type SignInHandler = (req: Request, res: Response, returnTo: string) => void;

/**
 * What every lifecycle hook receives: the request, the flow, the caller's owner (with the `owner` option), the ids
 * of the sessions concerned and those sessions as the list shows them. A `before*` hook gets them as they are
 * before the action (none yet for `beforeCreate`), an `after*` hook as the action left them (for `afterDelete` and
 * `afterPurge`, as they were: they are gone).
 */
export interface HookContext<Req = Request> {
  /** The Express request of the action. */
  req: Req;
  flowId: string;
  /** The owner the action runs for; `undefined` without the `owner` option. */
  owner: string | undefined;
  sessionIds: string[];
  items: SessionListItem[];
}

/** What `beforeCreate` and `afterCreate` receive. */
export interface CreateHookContext<Req = Request> extends HookContext<Req> {
  /** The label the new session gets (after `beforeCreate`, the one written), or `null` for none. */
  label: string | null;
  /** For a duplicate, the session copied; `undefined` for a plain create. */
  duplicateOf: SessionListItem | undefined;
}

/** What `beforeRename` and `afterRename` receive. */
export interface RenameHookContext<Req = Request> extends HookContext<Req> {
  /** The label about to be written (or written), `null` when it is cleared. */
  label: string | null;
}

/**
 * What `beforeCreate` may return to seed the new session; each field given replaces the one the action would
 * write, in the same insert. `state` is written as Python's `json.dumps` would.
 */
export interface CreateSeed {
  label?: string | null;
  currentStep?: string | null;
  state?: WorkflowState;
}

/**
 * Lifecycle hooks: the host's code around each action. A `before*` hook runs before anything is written and may
 * refuse the action by throwing `RejectedError` (the user sees its message; any other error answers 500), nothing
 * being written. An `after*` hook runs once the action is committed; if it throws, the error is logged once and the
 * action stays done, and the answer waits for it at most `hookTimeoutMs`.
 */
export interface SessionHooks<Req = Request> {
  /** Before `POST /create` and `POST /duplicate`; may return a {@link CreateSeed}. */
  beforeCreate?(context: CreateHookContext<Req>): CreateSeed | void | Promise<CreateSeed | void>;
  /** After a session was created (or duplicated). */
  afterCreate?(context: CreateHookContext<Req>): void | Promise<void>;
  beforeRename?(context: RenameHookContext<Req>): void | Promise<void>;
  afterRename?(context: RenameHookContext<Req>): void | Promise<void>;
  beforeDelete?(context: HookContext<Req>): void | Promise<void>;
  afterDelete?(context: HookContext<Req>): void | Promise<void>;
  beforeResume?(context: HookContext<Req>): void | Promise<void>;
  afterResume?(context: HookContext<Req>): void | Promise<void>;
  /** After sessions were purged from the trash (where the trash exists). */
  afterPurge?(context: HookContext<Req>): void | Promise<void>;
  /** Before sessions are restored from the trash (where the trash exists). */
  beforeRestore?(context: HookContext<Req>): void | Promise<void>;
  /** After sessions were restored from the trash (where the trash exists). */
  afterRestore?(context: HookContext<Req>): void | Promise<void>;
}

/** The names of the hooks {@link SessionHooks} has. */
export const HOOK_NAMES = Object.freeze([
  "beforeCreate",
  "afterCreate",
  "beforeRename",
  "afterRename",
  "beforeDelete",
  "afterDelete",
  "beforeResume",
  "afterResume",
  "afterPurge",
  "beforeRestore",
  "afterRestore",
] as const);

/** Options of `createSessionManager()`. Only `store` and `flowId` are required. */
export interface SessionManagerOptions {
  /** The workflow-state store, from `createWorkflowStore()`. */
  store: WorkflowStore;
  /** The workflow whose sessions the page manages; a session's key is `"<flowId>:<sessionId>"`. */
  flowId: string;
  /**
   * Where Resume sends the user once the session is active.
   * @default "/"
   */
  workflowUrl?: string;
  /**
   * The path of the manager page, relative to where the router is mounted. Every other route sits under it.
   * @default "/manage/sessions"
   */
  prefix?: string;
  /**
   * Extra columns shown between Step and Updated, filled by `enrich`.
   * @default []
   */
  columns?: readonly ColumnSpec[];
  /**
   * Turns a session's state into display values for `columns`. Called only for the rows being shown. If it throws,
   * the row shows `—` in those columns and one warning is logged.
   * @default none
   */
  enrich?: (state: WorkflowState, summary: SessionSummary) => EnrichedFields | Promise<EnrichedFields>;
  /**
   * A label for sessions that have none stored. Returning nothing (or throwing) falls back to
   * `Session YYYY-MM-DD HH:MM`, from the creation time, then to `Untitled Session`.
   * @default none
   */
  label?: (summary: SessionSummary, state: WorkflowState) => string | null | undefined | Promise<string | null | undefined>;
  /**
   * How many rows' `enrich` and `label` results are remembered. A row's results are reused only while its state,
   * label, step and timestamps are exactly those they were computed from, so both callbacks must be pure functions
   * of their arguments; set `0` when they read anything else (a clock, another table), to call them on every render.
   * The cache also holds at most 16 MB of state text (it compares each row's state), whatever this says.
   * @default 1000
   */
  enrichCacheSize?: number;
  /**
   * Maps a step id to the title shown in the Step column.
   * @default the step id itself
   */
  stepTitle?: (stepId: string) => string;
  /**
   * The page title.
   * @default "Sessions"
   */
  title?: string;
  /**
   * Rows shown per page.
   * @default 50
   */
  pageSize?: number;
  /**
   * Makes the manager multi-user: returns the signed-in user's id for a request (e.g. `(req) => req.user?.id`). New
   * sessions are stamped with it in the `owner` column, and every route lists, counts, renames, deletes and resumes
   * only that owner's sessions; anyone else's session answers 404, exactly like one that does not exist. A request
   * for which it returns `undefined` (or an empty string) answers 401 and sees nothing.
   * @default none: every visitor sees every session of the flow
   */
  owner?: (req: Request) => string | undefined;
  /**
   * Where a signed-out visitor goes (a request for which `owner` returns no owner), instead of the 401 page. A URL
   * (`"/login"`, `"https://id.example.com/sign-in"`): a page request is redirected (303) to it with the path to come
   * back to as `return_to` (`/login?return_to=%2Fmanage%2Fsessions%3Fq%3Dx`), and an htmx request gets an
   * `HX-Redirect` to the same address, so the whole page goes; JSON requests still get 401. Or a function, called
   * with `(req, res, returnTo)`, that answers the request itself (e.g. `res.redirect(...)` with your own parameter).
   * `returnTo` is a path on this server, never another site's address.
   * @default none: a signed-out visitor gets the 401 page
   */
  signIn?: string | SignInHandler;
  /**
   * Shows the sessions but changes nothing: the page leaves out New Session, Resume, Rename and Delete, and every
   * POST answers 403 `read_only` (through the error table) before its body is read.
   * @default false
   */
  readonly?: boolean;
  /**
   * The app's public origin(s), as a browser's address bar shows them, e.g. `["https://app.example.com"]`. When set,
   * a POST is accepted only when its `Origin` header is one of them (or, without an `Origin` header, its `Host` is
   * one of theirs), which defeats DNS rebinding: a rebinding page controls both `Origin` and `Host`, but not the
   * name in this list. Each entry is a scheme, host and optional port, nothing more.
   * @default none: the `Origin` header is compared with the request's `Host`
   */
  origins?: string | readonly string[];
  /**
   * Where warnings (a throwing callback, a corrupt row) and unexpected errors are reported.
   * @default console
   */
  logger?: SessionManagerLogger;
  /**
   * Replaces built-in views (see the README's "Customising the views"). Either a folder, whose `row.js`,
   * `layout.js`, `no-matches.js`, … default-export the replacements (a path, relative to the current directory, or
   * a `file:` URL), or what `await loadViewOverrides(folder)` returned. A folder is loaded in the background from
   * setup on: requests wait for it, and if it fails to load, the error (naming the file) is logged at once and every
   * manager request answers 500 `misconfigured` with that message. Load it with `loadViewOverrides()` first to fail
   * before the server starts instead.
   * @default the built-in views
   */
  views?: string | URL | ViewOverrides;
  /**
   * Lifecycle hooks around create, duplicate, rename, delete and resume (and the trash's restore and purge): see
   * {@link SessionHooks} and `docs/hooks.md`.
   * @default none
   */
  hooks?: SessionHooks;
  /**
   * How long an answer waits for an `after*` hook, in milliseconds. A hook still running then goes on in the
   * background (its error, if any, is logged), and the answer is sent.
   * @default 5000
   */
  hookTimeoutMs?: number;
  /**
   * The largest file `POST {prefix}/import` accepts, in bytes, as a multipart upload or a JSON body; a larger one
   * answers 413 and nothing is read past the cap (see docs/export-import.md).
   * @default 10 MB (10,485,760)
   */
  importMaxBytes?: number;
  /**
   * The trash: Delete moves sessions into `workflow_state_trash`, from where they can be restored (Undo) until they
   * are purged, `keepDays` after they were deleted (lazily, at most once a minute, in bounded batches). `false`
   * makes delete permanent, and the confirmations say so. See docs/trash.md.
   * @default { keepDays: 30 }
   */
  trash?: false | { keepDays?: number };
  /**
   * Moves sessions not updated for this many days into the trash (or deletes them, with `trash: false`), checked
   * lazily as the trash is purged. The page states the rule above the list.
   * @default none: sessions never expire
   */
  expireIdleAfterDays?: number;
  /**
   * The live updates: `GET {prefix}/events`, a server-sent-events stream of the visitor's changes in this flow,
   * which the page follows to refresh its list in place (see docs/live-updates.md). `false` turns it off (404).
   * @default { maxConnections: 1000 }
   */
  events?: false | EventsOptions;
  /**
   * The activity log: every action (create, duplicate, import, rename, delete, restore, purge, resume, pin, unpin, tag)
   * writes one event to `workflow_state_events` in the transaction of its change, shown at `GET {prefix}/activity`.
   * Events older than `keepDays` are purged lazily with the trash. `false` records nothing, and the page is 404.
   * See docs/activity-log.md.
   * @default { keepDays: 90 }
   */
  activity?: false | { keepDays?: number };
}

/** The options with every field set, frozen. Built once by {@link resolveOptions}. */
export interface ResolvedOptions {
  readonly store: WorkflowStore;
  readonly flowId: string;
  readonly workflowUrl: string;
  readonly prefix: string;
  readonly columns: readonly ColumnSpec[];
  readonly enrich: SessionManagerOptions["enrich"];
  readonly label: SessionManagerOptions["label"];
  readonly enrichCacheSize: number;
  readonly stepTitle: (stepId: string) => string;
  readonly title: string;
  readonly pageSize: number;
  readonly owner: SessionManagerOptions["owner"];
  readonly signIn: SessionManagerOptions["signIn"];
  readonly readonly: boolean;
  /** The accepted origins (`URL.origin` form), or `undefined` to compare `Origin` with `Host`. */
  readonly origins: readonly string[] | undefined;
  readonly logger: SessionManagerLogger;
  /**
   * The `views` option as given (a folder, or overrides), checked only for its type: the folder is resolved and
   * loaded, and overrides are validated, where they are used (`http/create-session-manager.ts`).
   */
  readonly views: ViewOverrides | string | URL;
  /** The hooks, frozen; `{}` without the option. */
  readonly hooks: Readonly<SessionHooks>;
  readonly hookTimeoutMs: number;
  readonly importMaxBytes: number;
  /** Days a trashed session is kept; `false` when delete is permanent. */
  readonly trashKeepDays: number | false;
  /** Days after which an idle session moves to the trash; `undefined` when off. */
  readonly expireIdleAfterDays: number | undefined;
  /** The live updates' stream, or `false` when off. */
  readonly events: ResolvedEventsOptions | false;
  /** Days an event of the activity log is kept; `false` when the log is off. */
  readonly activityKeepDays: number | false;
}

/** Default of {@link SessionManagerOptions.prefix}. */
export const DEFAULT_PREFIX = "/manage/sessions";
/** Default of {@link SessionManagerOptions.workflowUrl}. */
export const DEFAULT_WORKFLOW_URL = "/";
/** Default of {@link SessionManagerOptions.title}. */
export const DEFAULT_TITLE = "Sessions";
/** Default of {@link SessionManagerOptions.importMaxBytes}: 10 MB. */
export const DEFAULT_IMPORT_MAX_BYTES = 10 * 1024 * 1024;
/** Default of {@link SessionManagerOptions.pageSize}. */
export const DEFAULT_PAGE_SIZE = 50;
/** Default of {@link SessionManagerOptions.enrichCacheSize}. */
export const DEFAULT_ENRICH_CACHE_SIZE = 1000;

/** Default of {@link SessionManagerOptions.hookTimeoutMs}. */
export const DEFAULT_HOOK_TIMEOUT_MS = 5000;
/** Default of `SessionManagerOptions.trash.keepDays`. */
export const DEFAULT_TRASH_KEEP_DAYS = 30;
/** Default of `SessionManagerOptions.activity.keepDays`. */
export const DEFAULT_ACTIVITY_KEEP_DAYS = 90;

/** Validates the caller's options and fills in defaults, failing fast with a message that names the fix. */
export function resolveOptions(options: SessionManagerOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new ConfigurationError(
      "createSessionManager() needs an options object, e.g. createSessionManager({ store, flowId: \"my_flow\" }).",
    );
  }
  if ("headers" in options && "method" in options) {
    throw new ConfigurationError(
      "It appears you have done app.use(createSessionManager), but it should be app.use(createSessionManager({ store, flowId })).",
    );
  }
  const { store, flowId } = options;
  if (!store || typeof store.listSessions !== "function") {
    throw new ConfigurationError(
      "createSessionManager() needs a `store`: pass `store: await createWorkflowStore({ filename: \"workflow_state.db\" })`.",
    );
  }
  if (typeof flowId !== "string" || flowId.length === 0 || flowId.includes(":")) {
    throw new ConfigurationError(
      `createSessionManager() needs a \`flowId\`: a non-empty string without ":", such as "structure_decomposition"; got ${JSON.stringify(flowId)}.`,
    );
  }
  const prefix = (options.prefix ?? DEFAULT_PREFIX).replace(/\/+$/, "");
  if (!prefix.startsWith("/") && prefix !== "") {
    throw new ConfigurationError(`The \`prefix\` option must start with "/"; got ${JSON.stringify(options.prefix)}.`);
  }
  const columns = options.columns ?? [];
  for (const column of columns) {
    if (typeof column?.field !== "string" || typeof column?.header !== "string") {
      throw new ConfigurationError(`Each entry of \`columns\` needs string \`field\` and \`header\`; got ${JSON.stringify(column)}.`);
    }
  }
  for (const name of ["enrich", "label", "stepTitle", "owner"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new ConfigurationError(`The \`${name}\` option must be a function; got ${typeof options[name]}.`);
    }
  }
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw new ConfigurationError(`The \`pageSize\` option must be an integer from 1 to 1000; got ${pageSize}.`);
  }
  const enrichCacheSize = options.enrichCacheSize ?? DEFAULT_ENRICH_CACHE_SIZE;
  if (!Number.isInteger(enrichCacheSize) || enrichCacheSize < 0) {
    throw new ConfigurationError(`The \`enrichCacheSize\` option must be a whole number (0 turns the cache off); got ${enrichCacheSize}.`);
  }
  if (options.signIn !== undefined && typeof options.signIn !== "function" && (typeof options.signIn !== "string" || options.signIn.trim() === "")) {
    throw new ConfigurationError(`The \`signIn\` option must be the sign-in page's URL, such as "/login", or a function (req, res, returnTo) => void; got ${JSON.stringify(options.signIn)}.`);
  }
  if (options.readonly !== undefined && typeof options.readonly !== "boolean") {
    throw new ConfigurationError(`The \`readonly\` option must be true or false; got ${JSON.stringify(options.readonly)}.`);
  }
  const views = resolveViewsOption(options.views);
  const hooks = resolveHooks(options.hooks);
  const hookTimeoutMs = options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
  if (typeof hookTimeoutMs !== "number" || !Number.isFinite(hookTimeoutMs) || hookTimeoutMs < 0) {
    throw new ConfigurationError(`The \`hookTimeoutMs\` option must be a number of milliseconds, 0 or more; got ${String(hookTimeoutMs)}.`);
  }
  const importMaxBytes = options.importMaxBytes ?? DEFAULT_IMPORT_MAX_BYTES;
  if (!Number.isSafeInteger(importMaxBytes) || importMaxBytes < 1) {
    throw new ConfigurationError(`The \`importMaxBytes\` option must be a whole number of bytes, at least 1, e.g. importMaxBytes: 10 * 1024 * 1024; got ${importMaxBytes}.`);
  }
  const trashKeepDays = resolveTrash(options.trash);
  const activityKeepDays = resolveActivity(options.activity);
  const expireIdleAfterDays = options.expireIdleAfterDays;
  if (expireIdleAfterDays !== undefined && !(typeof expireIdleAfterDays === "number" && Number.isFinite(expireIdleAfterDays) && expireIdleAfterDays > 0)) {
    throw new ConfigurationError(`The \`expireIdleAfterDays\` option must be a positive number of days, e.g. expireIdleAfterDays: 90; got ${JSON.stringify(expireIdleAfterDays)}.`);
  }
  return Object.freeze({
    store,
    flowId,
    workflowUrl: options.workflowUrl ?? DEFAULT_WORKFLOW_URL,
    prefix,
    columns: Object.freeze([...columns]),
    enrich: options.enrich,
    label: options.label,
    enrichCacheSize,
    stepTitle: options.stepTitle ?? ((stepId: string) => stepId),
    title: options.title ?? DEFAULT_TITLE,
    pageSize,
    owner: options.owner,
    signIn: options.signIn,
    readonly: options.readonly ?? false,
    origins: resolveOrigins(options.origins, "createSessionManager()"),
    logger: options.logger ?? console,
    views,
    hooks,
    hookTimeoutMs,
    importMaxBytes,
    trashKeepDays,
    expireIdleAfterDays,
    events: resolveEventsOption(options.events),
    activityKeepDays,
  });
}

function resolveHooks(hooks: SessionManagerOptions["hooks"]): Readonly<SessionHooks> {
  if (hooks === undefined) return Object.freeze({});
  if (typeof hooks !== "object" || hooks === null) {
    throw new ConfigurationError(`The \`hooks\` option must be an object of functions, e.g. hooks: { afterDelete: async ({ sessionIds }) => {…} }; got ${typeof hooks}.`);
  }
  const resolved: Record<string, unknown> = {};
  for (const [name, hook] of Object.entries(hooks)) {
    if (!(HOOK_NAMES as readonly string[]).includes(name)) {
      throw new ConfigurationError(`The \`hooks\` option has no hook "${name}"; the hooks are ${HOOK_NAMES.join(", ")}.`);
    }
    if (hook === undefined) continue;
    if (typeof hook !== "function") throw new ConfigurationError(`The hook \`${name}\` must be a function; got ${typeof hook}.`);
    resolved[name] = hook.bind(hooks);
  }
  return Object.freeze(resolved) as Readonly<SessionHooks>;
}

/**
 * Validates an `origins` option (of `createSessionManager()` or `verifyCsrf()`) at setup and returns each origin in
 * `URL.origin` form, frozen; `undefined` stays `undefined`.
 */
export function resolveOrigins(origins: string | readonly string[] | undefined, caller: string): readonly string[] | undefined {
  if (origins === undefined) return undefined;
  const list = typeof origins === "string" ? [origins] : origins;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigurationError(`${caller}: the \`origins\` option must be an origin or a non-empty array of them, e.g. origins: ["https://app.example.com"]; got ${JSON.stringify(origins)}.`);
  }
  return Object.freeze(
    list.map((origin: unknown) => {
      const url = typeof origin === "string" && !/[?#@\s]/.test(origin) ? parseUrl(origin) : undefined;
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.pathname !== "/" || url.hostname === "") {
        throw new ConfigurationError(
          `${caller}: each of \`origins\` must be a scheme, host and optional port such as "https://app.example.com" or "http://localhost:3000", with no path, query or credentials; got ${JSON.stringify(origin)}.`,
        );
      }
      return url.origin;
    }),
  );
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function resolveTrash(trash: SessionManagerOptions["trash"]): number | false {
  if (trash === false) return false;
  if (trash === undefined) return DEFAULT_TRASH_KEEP_DAYS;
  if (typeof trash !== "object" || trash === null) {
    throw new ConfigurationError(`The \`trash\` option must be false or { keepDays }, e.g. trash: { keepDays: 30 }; got ${JSON.stringify(trash)}.`);
  }
  const keepDays = trash.keepDays ?? DEFAULT_TRASH_KEEP_DAYS;
  if (typeof keepDays !== "number" || !Number.isFinite(keepDays) || keepDays <= 0) {
    throw new ConfigurationError(`The \`trash.keepDays\` option must be a positive number of days; got ${JSON.stringify(keepDays)}. Use trash: false for permanent delete.`);
  }
  return keepDays;
}

function resolveActivity(activity: SessionManagerOptions["activity"]): number | false {
  if (activity === false) return false;
  if (activity === undefined) return DEFAULT_ACTIVITY_KEEP_DAYS;
  if (typeof activity !== "object" || activity === null) {
    throw new ConfigurationError(`The \`activity\` option must be false or { keepDays }, e.g. activity: { keepDays: 90 }; got ${JSON.stringify(activity)}.`);
  }
  const keepDays = activity.keepDays ?? DEFAULT_ACTIVITY_KEEP_DAYS;
  if (typeof keepDays !== "number" || !Number.isFinite(keepDays) || keepDays <= 0) {
    throw new ConfigurationError(`The \`activity.keepDays\` option must be a positive number of days; got ${JSON.stringify(keepDays)}. Use activity: false to turn the log off.`);
  }
  return keepDays;
}

function resolveViewsOption(views: SessionManagerOptions["views"]): ViewOverrides | string | URL {
  if (views === undefined) return Object.freeze({});
  if (views === "") throw new ConfigurationError("The `views` option is an empty string; give the folder of view overrides, e.g. views: \"./session-views\".");
  return views;
}
