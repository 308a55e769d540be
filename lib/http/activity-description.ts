import { ACTIVITY_ACTIONS } from "../session-types.js";
import type { ApiRoute, JsonSchema } from "./api-route.js";

/** The activity log's JSON: one window of events, newest first, and the cursor of the next (`null` after the last). */
export const ACTIVITY_LIST_SCHEMA: JsonSchema = {
  type: "object",
  required: ["events", "next"],
  additionalProperties: false,
  properties: {
    events: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "session_id", "action", "label", "before", "after", "at", "request_id"],
        additionalProperties: false,
        properties: {
          id: { type: "integer", minimum: 1 },
          session_id: { type: "string" },
          action: { enum: [...ACTIVITY_ACTIONS] },
          label: { type: ["string", "null"], description: "The session's stored label at the time." },
          before: { type: ["string", "null"], description: "A rename's label before (`null`: none); a duplicate's source session id." },
          after: { type: ["string", "null"], description: "A rename's label after (`null`: none)." },
          at: { type: ["string", "null"], format: "date-time" },
          request_id: { type: ["string", "null"] },
        },
      },
    },
    next: { type: ["string", "null"], description: "The `cursor` of the next, older window; `null` after the last." },
  },
};

/** `GET {prefix}/activity`, in the form of `API_ROUTES`. */
export const ACTIVITY_ROUTE: ApiRoute = {
  method: "get",
  path: "/activity",
  operationId: "showActivity",
  summary: "The activity log page, its fragment, or the log as JSON",
  description: "The caller's events, newest first, one window of `pageSize`; under htmx the list fragment; with `Accept: application/json`, the window as JSON.",
  query: {
    session_id: { description: "Only this session's events: its history.", schema: { type: "string" } },
    cursor: { description: "The `next` of the window before: go on to older events.", schema: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}_\\d{1,15}$" } },
  },
  activityOnly: true,
  responses: { "200": { description: "One window of the activity log.", json: { $ref: "#/components/schemas/ActivityList" }, html: true } },
  errors: ["invalid_input"],
};
