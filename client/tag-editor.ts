// The rename dialog's tag editor: the session's tags as chips, each a hidden `tag` field with a remove button named
// after it, and a text input that adds one on Enter or a comma. Tags only travel through .value and .textContent.
import { ATTRS } from "../views/dom-contract.js";

const EDITOR = `[${ATTRS.role}="tag-editor"]`;
const INPUT = `[${ATTRS.role}="tag-input"]`;
const CHIPS = `[${ATTRS.role}="tag-chips"]`;
const REMOVE = "remove-tag";
const MAX_TAGS = 20;

// As the server keeps a tag (normalizeTag()): trimmed, white space runs as one space, lower case; "" when it cannot be one.
function normalized(text: string): string {
  const tag = text.normalize("NFC").trim().replace(/\s+/gu, " ").toLowerCase();
  return /\p{Cc}/u.test(tag) || [...tag].length > 40 ? "" : tag;
}

function chipTags(editor: Element): string[] {
  return Array.from(editor.querySelectorAll<HTMLInputElement>(`${CHIPS} input[name=tag]`)).filter((field) => field.type === "hidden" || field.checked).map((field) => field.value);
}

function chip(tag: string): HTMLLIElement {
  const item = document.createElement("li");
  item.className = "badge badge-outline gap-1";
  item.dataset.chip = tag;
  const field = document.createElement("input");
  field.type = "hidden";
  field.name = "tag";
  field.value = tag;
  const text = document.createElement("span");
  text.textContent = tag;
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "btn btn-ghost btn-xs btn-circle";
  remove.setAttribute(ATTRS.action, REMOVE);
  remove.setAttribute("aria-label", `Remove tag ${tag}`);
  remove.textContent = "×";
  item.append(field, text, remove);
  return item;
}

/** Shows `tags` as the editor's chips (in `dialog`), replacing what it showed, and empties its text input. */
export function fillTags(dialog: Element, tags: readonly string[]): void {
  const editor = dialog.querySelector(EDITOR);
  const chips = editor?.querySelector(CHIPS);
  if (!editor || !chips) return;
  chips.replaceChildren(...tags.map(chip));
  const input = editor.querySelector<HTMLInputElement>(INPUT);
  if (input) input.value = "";
}

// Adds the tags of `text` that the editor lacks (up to the limit); returns whether any text was taken.
function add(editor: Element, text: string): boolean {
  const chips = editor.querySelector(CHIPS);
  if (!chips) return false;
  const have = new Set(chipTags(editor));
  let taken = false;
  for (const part of text.split(",")) {
    const tag = normalized(part);
    if (tag === "") continue;
    taken = true;
    if (have.has(tag) || have.size >= MAX_TAGS) continue;
    have.add(tag);
    chips.append(chip(tag));
  }
  return taken;
}

/** Starts the tag editor: Enter or a comma in its input adds a chip, a chip's remove button takes it out. */
export function initTagEditor(): void {
  document.addEventListener("keydown", (event) => {
    const input = event.target instanceof HTMLInputElement && event.target.matches(INPUT) ? event.target : null;
    const editor = input?.closest(EDITOR);
    if (!input || !editor || (event.key !== "Enter" && event.key !== ",")) return;
    // Enter in an empty input submits the form, as in any other field.
    if (event.key === "Enter" && input.value.trim() === "") return;
    event.preventDefault();
    add(editor, input.value);
    input.value = "";
  });
  // A comma typed or pasted: every tag before the last comma becomes a chip.
  document.addEventListener("input", (event) => {
    const input = event.target instanceof HTMLInputElement && event.target.matches(INPUT) ? event.target : null;
    const editor = input?.closest(EDITOR);
    if (!input || !editor || !input.value.includes(",")) return;
    const last = input.value.lastIndexOf(",");
    add(editor, input.value.slice(0, last));
    input.value = input.value.slice(last + 1);
  });
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest(`[${ATTRS.action}="${REMOVE}"]`) : null;
    const editor = button?.closest(EDITOR);
    if (!button || !editor) return;
    button.closest("li")?.remove();
    editor.querySelector<HTMLInputElement>(INPUT)?.focus();
  });
}
