import { html } from "@lit-labs/ssr";
import { formatAbsoluteTime, formatBytes, formatRelativeTime } from "./format.js";
import { withListState } from "../lib/list-state.js";
import { pinUrlsOf } from "./manager-urls.js";
import { RememberedRows } from "./remembered-rows.js";
import type { RowViewData } from "./view-data.js";

/**
 * One session row: label with the Active badge, step, host columns, updated and created times, size and the
 * actions (Resume, Rename, Duplicate, Pin or Unpin, Export, Delete). The row's `data-session-version`, and the
 * `version` in the Resume and Duplicate URLs, carry the version the row was rendered with, so an action on a session
 * changed since answers 409. The three icon-only actions are square buttons, so the four fit a 1024 px table beside a
 * long label. `aria-selected` marks the keyboard cursor; `aria-rowindex` is the row's place in the whole list, plus 2
 * (the header is row 1); `aria-current` marks the active session (styled in CSS). Resume, Duplicate and Pin are
 * buttons of the list's one row form (`form="ews-row-form"`, which holds the CSRF field), each naming its route in
 * `formaction` and the session in its value: a row carries no form or token of its own, which halves its bytes.
 * Lit SSR pays for every attribute
 * binding and a window renders 50 rows per request, so this is one flat template with as few bindings as the row
 * needs, and the icons are `<use>` references (see `iconSpriteView()`). A long label is cut with an ellipsis by CSS
 * only (`.ews-label`): the whole text stays in the DOM, so it is in the buttons' names and in the `title` on hover.
 * The `data-action` values are written out rather than bound to `ACTIONS` of `dom-contract.ts` (a binding costs
 * little in the string renderer, see docs/benchmark.md); the contract test (`checkViewContract()`) keeps them in step.
 * The first cell is the row's checkbox (`data-role="select-row"`), named "Select <label>", which belongs to the
 * bulk form (`form="ews-bulk-form"`), so without JavaScript the bulk bar's buttons post the checked ids. The
 * session's tags follow its label as small badges.
 * While the activity log is on (`urls.activity`), the Updated time is a small link to the session's history.
 * A row asked again with the same inputs (everything it shows, see `rowInputs()`) is its remembered HTML
 * ({@link rememberedRows}) rather than its template rendered and escaped again: about 12 µs a row, most of a list
 * request's cost. An override of the row view is rendered every time.
 */
export function rowView(data: RowViewData) {
  return html`${rememberedRows.row(data.item.sessionId, rowInputs(data), () => rowTemplate(data))}`;
}

/**
 * The rows {@link rowView} rendered lately: 8,000,000 bytes at most, about 1,000 rows of 3.5 KB with their HTML, bytes
 * and inputs.
 * One for the process: a row's inputs hold everything it shows, the manager's URLs among them, so managers share it
 * safely.
 */
export const rememberedRows = new RememberedRows(8_000_000);

/**
 * Everything {@link rowTemplate} reads, in a fixed order: the session's fields and version, its tags, the two
 * relative times as they read at `now`, the row's place and state, the URLs its actions use and the columns. Two
 * rows of one session with equal inputs (compared one by one) render to the same HTML (a test holds every input to
 * that), so `rowView()` may reuse the first's. The session's id is the row's slot in {@link rememberedRows}. The lists
 * (tags, columns) are each preceded by their length, so the inputs of two rows line up only if their lists do.
 * Comparing inputs one by one costs a fraction of building and hashing a key string (docs/benchmark.md).
 */
function rowInputs({ item, active, index, selected, columns, urls, now, pinned = false }: RowViewData): unknown[] {
  const { updatedAt, createdAt } = item;
  // Read afresh for every row: a host may reuse one URLs object and change it.
  const { pin, unpin } = pinUrlsOf(urls);
  // Never the CSRF token: the rows are shared by every visitor, and the row carries no token (its form does).
  const inputs: unknown[] = [
    item.displayLabel, item.version, item.stepTitle, item.stateSizeBytes,
    updatedAt ? updatedAt.getTime() : null, formatRelativeTime(updatedAt, now),
    createdAt ? createdAt.getTime() : null, formatRelativeTime(createdAt, now),
    active, index, selected, pinned,
    urls.resume, urls.duplicate, urls.page, urls.state, urls.export, urls.activity, urls.readonly, pin, unpin,
    item.tags ? item.tags.length : -1,
  ];
  if (item.tags) for (const tag of item.tags) inputs.push(tag);
  inputs.push(columns.length);
  for (const column of columns) inputs.push(column.field, column.className, item.fields[column.field]);
  return inputs;
}

/** The row's template, rendered afresh: what {@link rowView} remembers. */
export function rowTemplate({ item, active, index, selected, columns, urls, now, pinned = false }: RowViewData) {
  const { updatedAt, createdAt } = item;
  return html`<tr class="ews-row" data-session-id=${item.sessionId} data-session-label=${item.displayLabel} data-session-version=${item.version} aria-rowindex=${index + 2} aria-selected=${selected ? "true" : "false"} aria-current=${active ? "true" : "false"}>
<td class="w-0 ps-3 pe-0"><input type="checkbox" class="checkbox checkbox-sm" name="session_id" value=${item.sessionId} form="ews-bulk-form" data-role="select-row" aria-label=${`Select ${item.displayLabel}`} /></td>
<th scope="row" class="ews-label ps-2 font-medium"><div class="flex items-center gap-2 min-w-0"><span class="truncate" title=${item.displayLabel}>${item.displayLabel}</span>${active ? html`<span class="badge badge-primary badge-sm shrink-0">Active</span>` : ""}${item.tags?.length ? tagBadges(item.tags) : ""}</div></th>
<td class="hidden whitespace-nowrap sm:table-cell">${item.stepTitle ?? html`<span class="opacity-50">—</span>`}</td>
${columns.map((column) =>
  column.className
    ? html`<td class=${`hidden md:table-cell ${column.className}`} data-field=${column.field}>${item.fields[column.field]}</td>`
    : html`<td class="hidden md:table-cell" data-field=${column.field}>${item.fields[column.field]}</td>`,
)}
<td class="hidden whitespace-nowrap sm:table-cell">${urls.activity ? html`<a href=${`${urls.activity}?session_id=${item.sessionId}`} hx-boost="false" class="link link-hover" data-action="history" aria-label=${`Updated ${formatRelativeTime(updatedAt, now)}: history of ${item.displayLabel}`}><time datetime=${updatedAt ? updatedAt.toISOString() : ""} title=${formatAbsoluteTime(updatedAt)}>${formatRelativeTime(updatedAt, now)}</time></a>` : html`<time datetime=${updatedAt ? updatedAt.toISOString() : ""} title=${formatAbsoluteTime(updatedAt)}>${formatRelativeTime(updatedAt, now)}</time>`}</td>
<td class="hidden whitespace-nowrap lg:table-cell"><time datetime=${createdAt ? createdAt.toISOString() : ""} title=${formatAbsoluteTime(createdAt)}>${formatRelativeTime(createdAt, now)}</time></td>
<td class="hidden whitespace-nowrap tabular-nums xl:table-cell">${formatBytes(item.stateSizeBytes)}</td>
<td class="whitespace-nowrap">${urls.readonly ? "" : html`<div class="flex justify-end gap-1">
<button type="submit" form="ews-row-form" formaction=${withListState(urls.resume, "", { version: item.version })} name="session_id" value=${item.sessionId} class="btn btn-ghost btn-sm" data-action="resume" aria-label=${`Resume ${item.displayLabel}`} title="Resume"><svg class="size-4" aria-hidden="true" focusable="false"><use href="#ews-icon-play"></use></svg><span class="hidden xl:inline">Resume</span></button>
<a href=${withListState(urls.page, urls.state, { rename: item.sessionId })} hx-boost="false" class="btn btn-ghost btn-sm btn-square" data-action="rename" aria-label=${`Rename ${item.displayLabel}`} title="Rename"><svg class="size-4" aria-hidden="true" focusable="false"><use href="#ews-icon-pencil"></use></svg></a>
<button type="submit" form="ews-row-form" formaction=${withListState(urls.duplicate, urls.state, { version: item.version })} name="session_id" value=${item.sessionId} class="btn btn-ghost btn-sm btn-square" data-action="duplicate" aria-label=${`Duplicate ${item.displayLabel}`} title="Duplicate"><svg class="size-4" aria-hidden="true" focusable="false"><use href="#ews-icon-copy"></use></svg></button>
${pinButton(urls, item.sessionId, item.displayLabel, pinned)}
${urls.export ? exportLink(urls.export, item.sessionId, item.displayLabel) : ""}
<a href=${withListState(urls.page, urls.state, { delete: item.sessionId })} hx-boost="false" class="btn btn-ghost btn-sm btn-square ews-danger" data-action="delete" aria-label=${`Delete ${item.displayLabel}`} title="Delete"><svg class="size-4" aria-hidden="true" focusable="false"><use href="#ews-icon-trash"></use></svg></a>
</div>`}</td>
</tr>`;
}

/**
 * The row's Pin (or, when pinned, Unpin): an icon button named after the session that posts like Duplicate, through
 * the list's row form (htmx swaps the list; without JavaScript the 303 comes back to the same list).
 */
function pinButton(urls: RowViewData["urls"], sessionId: string, label: string, pinned: boolean) {
  const { pin, unpin } = pinUrlsOf(urls);
  return html`<button type="submit" form="ews-row-form" formaction=${withListState(pinned ? unpin : pin, urls.state)} name="session_id" value=${sessionId} class="btn btn-ghost btn-sm btn-square" data-action=${pinned ? "unpin" : "pin"} aria-label=${`${pinned ? "Unpin" : "Pin"} ${label}`} title=${pinned ? "Unpin" : "Pin"}><svg class="size-4" aria-hidden="true" focusable="false"><use href=${pinned ? "#ews-icon-pin-off" : "#ews-icon-pin"}></use></svg></button>`;
}

/** The session's tags as small badges after its label (text, so lit-html escapes each). */
function tagBadges(tags: readonly string[]) {
  return html`<span class="ews-tags flex shrink-0 gap-1" data-role="tags">${tags.map((tag) => html`<span class="badge badge-ghost badge-sm" data-tag=${tag}>${tag}</span>`)}</span>`;
}

/** The row's Export: a plain download link (no htmx), so it works without JavaScript and is reached by Tab. */
function exportLink(exportUrl: string, sessionId: string, label: string) {
  return html`<a href=${`${exportUrl}?session_id=${sessionId}`} hx-boost="false" download class="btn btn-ghost btn-sm btn-square hidden sm:inline-flex" data-action="export" aria-label=${`Export ${label}`} title="Export"><svg class="size-4" aria-hidden="true" focusable="false"><use href="#ews-icon-download"></use></svg></a>`;
}
