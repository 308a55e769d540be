// The theme follows the system until the user picks one; the choice is remembered in this browser.
import { ACTIONS, ATTRS } from "../views/dom-contract.js";
import { elementOf } from "./dom.js";

const THEME_KEY = "ews-theme";

function currentTheme(): string {
  return document.documentElement.dataset.theme || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
}

function toggleTheme(): void {
  const next = currentTheme() === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  try {
    localStorage.setItem(THEME_KEY, next);
  } catch {
    // Storage can be disabled; the toggle still works for this page.
  }
}

/** Applies the remembered theme and wires the toggle. */
export function initTheme(): void {
  try {
    const saved = localStorage.getItem(THEME_KEY);
    if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
  } catch {
    // Ignore: the system theme applies.
  }
  document.addEventListener("click", (event) => {
    const button = elementOf(event.target)?.closest(`[${ATTRS.action}="${ACTIONS.toggleTheme}"]`);
    if (button) toggleTheme();
  });
}
