// express-workflow-sessions client: opens the rename and delete dialogs, shows errors from htmx requests, and keeps
// the list's window in requests. Labels only ever travel through .value and .textContent, never innerHTML.
(function () {
  "use strict";

  var THEME_KEY = "ews-theme";
  var lastTrigger = null;
  var lastSessionId = null;

  function rowOf(element) {
    return element.closest("tr[data-session-id]");
  }

  function openDialog(id, row) {
    var dialog = document.getElementById(id);
    if (!dialog || !row) return;
    lastTrigger = document.activeElement;
    lastSessionId = row.dataset.sessionId;
    var error = dialog.querySelector("[data-role=dialog-error]");
    if (error) error.replaceChildren();
    var form = dialog.querySelector("form[method=post]");
    form.querySelector("input[name=session_id]").value = row.dataset.sessionId;
    var label = form.querySelector("input[name=label]");
    if (label) label.value = row.dataset.sessionLabel || "";
    var name = dialog.querySelector("[data-role=delete-name]");
    if (name) name.textContent = row.dataset.sessionLabel || "";
    dialog.showModal();
    if (label) {
      label.focus();
      label.select();
    }
  }

  // After a dialog closes, focus goes back to the button that opened it, or to the same button in the refreshed row.
  function restoreFocus() {
    if (!lastTrigger) return;
    if (document.contains(lastTrigger)) {
      lastTrigger.focus();
      return;
    }
    var row = lastSessionId && document.querySelector('tr[data-session-id="' + CSS.escape(lastSessionId) + '"]');
    var target = row && (row.querySelector('[data-action="' + lastTrigger.dataset.action + '"]') || row.querySelector("button"));
    if (target) target.focus();
  }

  // The theme follows the system until the user picks one; the choice is remembered in this browser.
  function currentTheme() {
    return document.documentElement.dataset.theme || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  }

  function toggleTheme() {
    var next = currentTheme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch (error) {
      // Storage can be disabled; the toggle still works for this page.
    }
  }

  try {
    var saved = localStorage.getItem(THEME_KEY);
    if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
  } catch (error) {
    // Ignore: the system theme applies.
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button) return;
    var action = button.dataset.action;
    if (action === "rename") openDialog("ews-rename-dialog", rowOf(button));
    else if (action === "delete") openDialog("ews-delete-dialog", rowOf(button));
    else if (action === "close-dialog") button.closest("dialog").close();
    else if (action === "toggle-theme") toggleTheme();
  });

  document.addEventListener(
    "close",
    function (event) {
      if (event.target.matches && event.target.matches("dialog.modal")) restoreFocus();
    },
    true,
  );

  // Requests that refresh the list carry the window being shown, so the server renders the same one.
  document.addEventListener("htmx:configRequest", function (event) {
    var list = document.getElementById("ews-list");
    if (!list || event.detail.verb !== "post") return;
    if (list.dataset.offset && !("offset" in event.detail.parameters)) event.detail.parameters.offset = list.dataset.offset;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var dialog = event.detail.elt.closest && event.detail.elt.closest("dialog");
    if (dialog && event.detail.xhr && event.detail.xhr.status < 400) dialog.close();
  });

  // Error answers are alert fragments: show them in the open dialog that sent the request (the rest of the page is
  // inert behind a modal), or else in the notices area, instead of replacing the list.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status < 400) return;
    var dialog = event.detail.requestConfig && event.detail.requestConfig.elt.closest("dialog[open]");
    var target = (dialog && dialog.querySelector("[data-role=dialog-error]")) || document.getElementById("ews-alerts");
    if (!target) return;
    event.detail.shouldSwap = true;
    event.detail.isError = false;
    event.detail.target = target;
    event.detail.swapOverride = "innerHTML";
  });

  document.addEventListener("htmx:sendError", function () {
    var alerts = document.getElementById("ews-alerts");
    if (!alerts) return;
    var box = document.createElement("div");
    box.className = "alert alert-error ews-notice";
    box.setAttribute("role", "alert");
    box.textContent = "The server could not be reached. Check your connection and try again.";
    alerts.replaceChildren(box);
  });

  // Notices fade out after a few seconds; errors stay until the next action.
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll(".ews-notice[data-kind=success], .ews-notice[data-kind=info]").forEach(function (notice) {
      setTimeout(function () {
        notice.remove();
      }, 4000);
    });
  });
})();
