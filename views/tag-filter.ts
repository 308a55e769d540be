import { html } from "@lit-labs/ssr";
import { listUrl } from "../lib/list-state.js";
import type { SessionPage, TagCount } from "../lib/session-types.js";
import type { ManagerUrls } from "./view-data.js";
import { SELECTORS } from "./dom-contract.js";
import { formatCount } from "./format.js";

/** What the tag filter shows. */
export interface TagFilterViewData {
  /** The caller's tags of the flow with their counts. */
  tagCounts: readonly TagCount[];
  page: SessionPage;
  urls: ManagerUrls;
}

/**
 * The tag filter above the list (`data-role="tag-filter"`), nothing when the caller has no tags and filters by none:
 * one chip per tag with its count (`1,000+` past the bound), a link to the list with that tag added to the filter or, for a tag filtered by
 * (`aria-current="true"`, highlighted), taken out of it. Links, so Tab reaches them and they work without
 * JavaScript; the order and search are kept, the window starts over. A tag filtered by that no session carries any
 * more still shows, so it can be taken out.
 */
export function tagFilterView({ tagCounts, page, urls }: TagFilterViewData) {
  const active = page.tags ?? [];
  const counts = new Map(tagCounts.map((entry) => [entry.tag, formatCount(entry.sessions, entry.capped === true)]));
  for (const tag of active) if (!counts.has(tag)) counts.set(tag, "0");
  if (counts.size === 0) return "";
  const chips = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const link = (tag: string, sessions: string) => {
    const on = active.includes(tag);
    const state = { orderBy: page.orderBy, descending: page.descending, search: page.search, tags: on ? active.filter((t) => t !== tag) : [...active, tag] };
    return html`<li><a class=${on ? "badge badge-primary gap-1" : "badge badge-outline gap-1 hover:badge-neutral"} href=${listUrl(urls.page, state)} hx-get=${listUrl(urls.list, state)} hx-target=${SELECTORS.list} hx-swap="outerHTML" data-tag-filter=${tag} aria-current=${on ? "true" : "false"} aria-label=${`${on ? "Stop filtering by" : "Filter by"} tag ${tag} (${sessions} ${sessions === "1" ? "session" : "sessions"})`}><span>${tag}</span><span class="tabular-nums opacity-70">${sessions}</span></a></li>`;
  };
  return html`<nav class="px-4 pt-3" data-role="tag-filter" aria-label="Filter by tag">
    <ul class="flex flex-wrap items-center gap-1 text-xs">${chips.map(([tag, sessions]) => link(tag, sessions))}</ul>
  </nav>`;
}
