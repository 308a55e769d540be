import type { Response } from "express";
import type { SessionListItem, SessionPage, TrashListItem, TrashPage } from "../session-types.js";

/**
 * A session as the JSON API answers it: the list item's fields with ISO 8601 times, its `version` and whether it is
 * the caller's active session.
 */
export interface SessionJson {
  sessionId: string;
  label: string | null;
  displayLabel: string;
  currentStep: string | null;
  stepTitle: string | null;
  fields: Readonly<Record<string, string>>;
  /** ISO 8601, or `null` when the stored time is missing or unreadable. */
  createdAt: string | null;
  updatedAt: string | null;
  /** The size of the stored state in bytes (UTF-8), measured by the database: no state blob is read for it. */
  stateSizeBytes: number;
  /** An opaque value that changes whenever the label, step or state change; also the item's `ETag`. */
  version: string;
  /** True for the session that `req.session` has active. */
  active: boolean;
  /** The session's tags, in code point order: in the list's items and the answer of `POST {prefix}/tags`. */
  tags?: readonly string[];
}

/** The list as the JSON API answers it (`GET {prefix}` and `GET {prefix}/list` with `Accept: application/json`). */
export interface SessionListJson {
  items: SessionJson[];
  /** Sessions that match the search (see `capped`). */
  total: number;
  /** True when more sessions match the search than `total` counts. */
  capped: boolean;
  offset: number;
  limit: number;
  orderBy: SessionPage["orderBy"];
  descending: boolean;
  search: string;
  /** The visitor's pinned sessions, in pin order (the Pinned section above the list), whatever the window and search. */
  pinned: SessionJson[];
  /** The visitor's CSRF token, to send as `X-CSRF-Token` on every POST. */
  csrfToken: string;
}

/** Maps a list item to its JSON form; `activeSessionId` is the caller's active session, if any. */
export function sessionJson(item: SessionListItem, activeSessionId: string | undefined): SessionJson {
  return {
    sessionId: item.sessionId,
    label: item.label,
    displayLabel: item.displayLabel,
    currentStep: item.currentStep,
    stepTitle: item.stepTitle,
    fields: item.fields,
    createdAt: item.createdAt?.toISOString() ?? null,
    updatedAt: item.updatedAt?.toISOString() ?? null,
    stateSizeBytes: item.stateSizeBytes,
    version: item.version,
    active: activeSessionId !== undefined && item.sessionId === activeSessionId,
    ...(item.tags ? { tags: item.tags } : {}),
  };
}

/** Maps a window of the list, and the caller's pinned sessions, to its JSON form. */
export function sessionListJson(page: SessionPage, activeSessionId: string | undefined, csrfToken: string, pinned: readonly SessionListItem[] = []): SessionListJson {
  return {
    items: page.items.map((item) => sessionJson(item, activeSessionId)),
    total: page.total,
    capped: page.capped ?? false,
    offset: page.offset,
    limit: page.limit,
    orderBy: page.orderBy,
    descending: page.descending,
    search: page.search,
    pinned: pinned.map((item) => sessionJson(item, activeSessionId)),
    csrfToken,
  };
}

/** A session in the trash as the JSON API answers it. */
export interface TrashedSessionJson {
  sessionId: string;
  label: string | null;
  displayLabel: string;
  currentStep: string | null;
  stepTitle: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  /** When it was deleted (ISO 8601). */
  deletedAt: string | null;
  /** When it will be purged (ISO 8601); `null` when it never will be. */
  purgeAt: string | null;
  stateSizeBytes: number;
}

/** The trash as the JSON API answers it (`GET {prefix}/trash` and `GET {prefix}/trash/list`). */
export interface TrashListJson {
  items: TrashedSessionJson[];
  total: number;
  offset: number;
  limit: number;
  orderBy: TrashPage["orderBy"];
  descending: boolean;
  search: string;
  csrfToken: string;
}

/** Maps a window of the trash to its JSON form. */
export function trashListJson(page: TrashPage, csrfToken: string): TrashListJson {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  const item = (trashed: TrashListItem): TrashedSessionJson => ({
    sessionId: trashed.sessionId,
    label: trashed.label,
    displayLabel: trashed.displayLabel,
    currentStep: trashed.currentStep,
    stepTitle: trashed.stepTitle,
    createdAt: iso(trashed.createdAt),
    updatedAt: iso(trashed.updatedAt),
    deletedAt: iso(trashed.deletedAt),
    purgeAt: iso(trashed.purgeAt),
    stateSizeBytes: trashed.stateSizeBytes,
  });
  return {
    items: page.items.map(item),
    total: page.total,
    offset: page.offset,
    limit: page.limit,
    orderBy: page.orderBy,
    descending: page.descending,
    search: page.search,
    csrfToken,
  };
}

/** Sends a JSON answer of the API, never cached (it carries the visitor's data and token). */
export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).set("Cache-Control", "no-store").json(body);
}
