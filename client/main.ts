// express-workflow-sessions client: the entry point esbuild bundles into dist/public/client.js. Each module owns its
// own state; they meet only through the interfaces passed here and the DOM contract (views/dom-contract.ts).
import { ATTRS } from "../views/dom-contract.js";
import { initDialogs } from "./dialogs.js";
import { initFeedback } from "./feedback.js";
import { initKeyboard } from "./keyboard.js";
import { initListWindow } from "./list-window.js";
import { initLiveUpdates } from "./live-updates.js";
import { initRequestState } from "./request-state.js";
import { initSelection } from "./selection.js";
import { initTagEditor } from "./tag-editor.js";
import { initUndoNotices } from "./undo-notice.js";
import { initTheme } from "./theme.js";

// The theme toggle, the shortcuts legend and the selection's controls work only with this script: the page sends
// them hidden.
function showScriptOnlyControls(): void {
  document.querySelectorAll<HTMLElement>(`[${ATTRS.needsScript}]`).forEach((element) => {
    element.hidden = false;
  });
}

initTheme();
const listWindow = initListWindow();
const selection = initSelection();
const dialogs = initDialogs(listWindow, selection);
initKeyboard(listWindow, dialogs, selection);
initLiveUpdates(listWindow, selection);
initRequestState();
initFeedback();
initTagEditor();
initUndoNotices();
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showScriptOnlyControls);
else showScriptOnlyControls();
document.addEventListener("htmx:historyRestore", showScriptOnlyControls);
// A swapped-in list brings its own script-only controls (the header checkbox, "N selected").
document.addEventListener("htmx:afterSwap", showScriptOnlyControls);
