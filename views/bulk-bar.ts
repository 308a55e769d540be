import { html } from "@lit-labs/ssr";
import { withListState } from "../lib/list-state.js";
import { csrfFieldView } from "./csrf-field.js";
import { formatCount } from "./format.js";
import type { BulkBarViewData } from "./view-data.js";

/**
 * The bulk form and its bar, `role="toolbar"`: "N selected", then Tag… and Delete (Restore and Delete forever in the trash),
 * Clear, and "Select all N matching". Every row's checkbox belongs to this form (`form="ews-bulk-form"`), so
 * without JavaScript a button posts the checked ids, with `intent`, to `POST {prefix}/confirm`, which shows the
 * confirmation; "Select all N matching" posts `all_matching=1` with the search instead. The client keeps
 * "N selected" up to date and turns "Select all N matching" into a selection. The ids and roles are those of
 * `dom-contract.ts` (`IDS.bulkForm`, `IDS.bulkBar`, `ROLES.selectedCount`, `ACTIONS.bulk*`). Export posts the
 * same form, by its button's `formaction`, to `POST {prefix}/export`, which answers the download. With `readonly`,
 * the bar keeps Export and Clear only ("Select all N matching" then needs the client, since `confirm` is refused).
 */
export function bulkBarView({ kind, total, capped, search, confirmUrl, exportUrl, state, csrfToken, readonly = false }: BulkBarViewData) {
  const noun = kind === "trash" ? "trashed sessions" : "sessions";
  return html`<form id="ews-bulk-form" method="post" action=${withListState(confirmUrl, state)} class="px-4 pt-2">
    ${csrfFieldView(csrfToken)}<input type="hidden" name="q" value=${search} /><input type="hidden" name="view" value=${kind} />
    <div id="ews-bulk-bar" role="toolbar" aria-label=${`Selected ${noun}`} class="flex flex-wrap items-center gap-2 text-sm">
      <span data-role="selected-count" aria-live="polite" data-needs-script hidden>0 selected</span>
      ${readonly
        ? ""
        : kind === "trash"
        ? html`<button type="submit" name="intent" value="restore" class="btn btn-sm" data-action="bulk-restore">Restore</button>
            <button type="submit" name="intent" value="purge" class="btn btn-sm btn-ghost ews-danger" data-action="bulk-purge">Delete forever</button>`
        : html`<button type="submit" name="intent" value="tag" class="btn btn-sm btn-ghost" data-action="bulk-tag" aria-haspopup="dialog">Tag…</button>
            <button type="submit" name="intent" value="delete" class="btn btn-sm btn-ghost ews-danger" data-action="bulk-delete">Delete</button>`}${kind !== "trash" && exportUrl
        ? html`<button type="submit" formaction=${exportUrl} formmethod="post" class="btn btn-sm btn-ghost" data-action="bulk-export">Export</button>`
        : ""}
      <button type="reset" class="btn btn-sm btn-ghost" data-action="clear-selection">Clear</button>
      ${total > 0
        ? readonly
          ? html`<button type="submit" name="all_matching" value="1" class="btn btn-sm btn-ghost" data-action="select-all-matching" data-matching=${total} data-needs-script hidden>Select all ${formatCount(total, capped)} matching</button>`
          : html`<button type="submit" name="all_matching" value="1" class="btn btn-sm btn-ghost" data-action="select-all-matching" data-matching=${total}>Select all ${formatCount(total, capped)} matching</button>`
        : ""}
    </div>
  </form>`;
}
