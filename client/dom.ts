// Stateless lookups over the DOM contract: every module reads the page through these, none keeps a copy of it.
import { ATTRS, IDS, ROLES } from "../views/dom-contract.js";

export const ROW_SELECTOR = `tr[${ATTRS.sessionId}]`;

export function list(): HTMLElement | null {
  return document.getElementById(IDS.list);
}

/** True on a read-only page (`data-readonly` on `#ews-main`): every change is refused. */
export function isReadonly(): boolean {
  return document.getElementById(IDS.main)?.hasAttribute(ATTRS.readonly) === true;
}

export function viewport(): HTMLElement | null {
  return document.getElementById(IDS.viewport);
}

/** A number from the list's `data-*` attributes (0 when absent). */
export function listNumber(name: "offset" | "limit" | "total" | "count" | "cursor"): number {
  const element = list();
  return element ? Number(element.dataset[name] || 0) : 0;
}

export function rowOf(element: Element): HTMLElement | null {
  return element.closest<HTMLElement>(ROW_SELECTOR);
}

export function rowAt(index: number): HTMLElement | null {
  return document.querySelector<HTMLElement>(`#${IDS.list} tr[${ATTRS.rowIndex}="${index + 2}"]`);
}

export function rowWithId(sessionId: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`#${IDS.list} tr[${ATTRS.sessionId}="${CSS.escape(sessionId)}"]`);
}

export function indexOf(row: Element): number {
  return Number(row.getAttribute(ATTRS.rowIndex)) - 2;
}

export function selectedRow(): HTMLElement | null {
  return rowAt(listNumber("cursor"));
}

export function rowHeight(): number {
  const row = document.querySelector(`#${IDS.list} ${ROW_SELECTOR}`);
  return row ? row.getBoundingClientRect().height : 0;
}

export function byAction(action: string, within: ParentNode = document): HTMLElement | null {
  return within.querySelector<HTMLElement>(`[${ATTRS.action}="${action}"]`);
}

export function byRole(role: string, within: ParentNode = document): HTMLElement | null {
  return within.querySelector<HTMLElement>(`[${ATTRS.role}="${role}"]`);
}

export function searchBox(): HTMLInputElement | null {
  return byRole(ROLES.search) as HTMLInputElement | null;
}

/** `event.target` as an Element, or null (text nodes, the document, the window). */
export function elementOf(target: EventTarget | null): Element | null {
  return target instanceof Element ? target : null;
}
