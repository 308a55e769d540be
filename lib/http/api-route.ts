import type { SessionManagerErrorCode } from "../errors.js";

// The shape of one entry of the JSON API's description (`API_ROUTES` in api-description.ts).

/** A JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it). */
export type JsonSchema = Record<string, unknown>;

/** One answer of a route that is not an error. */
export interface ApiResponse {
  description: string;
  /** The JSON body's schema, for answers to `Accept: application/json`. */
  json?: JsonSchema;
  /** True when the answer is an HTML page or fragment (a browser's or htmx's). */
  html?: boolean;
  /** Another content type the answer has, for the assets (any type). */
  other?: string;
  /** Response headers, by name, with what they hold. */
  headers?: Record<string, string>;
  /** Response headers of the JSON answer only (not of the HTML one of the same status). */
  jsonHeaders?: Record<string, string>;
}

/** One route of the manager as the description lists it. */
export interface ApiRoute {
  method: "get" | "post";
  /** The path after the prefix: `""` for the page, `"/list"`, `"/assets/{file}"`. */
  path: string;
  operationId: string;
  summary: string;
  description: string;
  /** Query parameters, by name; path parameters are the `{name}`s of `path`. */
  query?: Record<string, { description: string; schema: JsonSchema }>;
  /** The body's schema; it is taken as `application/json` and as `application/x-www-form-urlencoded`. */
  body?: JsonSchema;
  /** The body's schemas by content type, for a route that takes other types than {@link body}'s two. */
  bodyContent?: Record<string, JsonSchema>;
  /** True for the routes that need the session cookie and its CSRF token (every POST). */
  csrf?: boolean;
  /**
   * True for the actions on one session that take its version, as the `version` field (409 when stale) or as
   * `If-Match` with its `ETag` (412 when stale).
   */
  versioned?: boolean;
  /** True for the routes that exist only with the trash (the `trash` option not `false`). */
  trashOnly?: boolean;
  /** True for the routes that exist only with the activity log (the `activity` option not `false`). */
  activityOnly?: boolean;
  /** True for the routes that exist only with the live updates (the `events` option not `false`). */
  eventsOnly?: boolean;
  /** True for the actions that run the host's `before*` hooks, which may refuse them (`rejected`, 422 by default). */
  hooked?: boolean;
  /** False for the routes that need no express-session (the assets and this description). @default true */
  session?: boolean;
  /** The answers that are not errors, by status. */
  responses: Record<string, ApiResponse>;
  /** The error codes the route can answer with, beyond those of {@link COMMON_ERRORS}; statuses come from `ERROR_TABLE`. */
  errors?: readonly SessionManagerErrorCode[];
}
