import type { ListAnchor, ListWindowOptions, SessionWindow } from "./session-types.js";
import { copySummary } from "./summary-rows.js";
import { TokenCache } from "./token-cache.js";

/** The most plain windows one store remembers, and the most state text they may hold in all. */
const REMEMBERED_WINDOWS = 64;
const REMEMBERED_WINDOW_CHARS = 8_000_000;

/**
 * The cache of plain list windows (no search, no tag filter) by the change token that `token` reads (only where
 * `readsToken`; else only a read point's): see `SessionList.listWindow()`, which decides what may be kept.
 */
export function rememberedWindows(source: object, token: () => Promise<string | undefined>, readsToken: boolean): TokenCache<SessionWindow> {
  return new TokenCache(source, token, { max: REMEMBERED_WINDOWS, maxSize: REMEMBERED_WINDOW_CHARS, sizeOf: windowSize, readsToken });
}

/** What a window is remembered by: everything of its options that a plain window depends on. */
export function windowKey(flowId: string, options: ListWindowOptions): string {
  const { owner, orderBy = "updated_at", descending = true, offset, limit, withStates = false, after, before } = options;
  return JSON.stringify([flowId, owner ?? null, orderBy, descending, offset, limit, withStates, anchorKey(after), anchorKey(before)]);
}

const anchorKey = (anchor: ListAnchor | undefined) => (anchor ? [anchor.sessionId, anchor.value, anchor.offset ?? null] : null);

/** A window's size for {@link REMEMBERED_WINDOW_CHARS}: its states' text and a little for each row. */
function windowSize(window: SessionWindow): number {
  let size = 200 * window.sessions.length;
  for (const state of window.states?.values() ?? []) size += state?.length ?? 0;
  return size;
}

/** A copy of a window that shares nothing a caller could change with the one remembered. */
export function copyWindow(window: SessionWindow): SessionWindow {
  const copy: SessionWindow = { ...window, sessions: window.sessions.map(copySummary) };
  if (window.states) copy.states = new Map(window.states);
  if (window.anchors) copy.anchors = { first: { ...window.anchors.first }, last: { ...window.anchors.last } };
  return copy;
}
