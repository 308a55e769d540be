// express-workflow-sessions client: the windowed list (a virtual scroller backed by the server), the keyboard
// cursor, the search box, the rename and delete dialogs, and errors from htmx requests. Labels only ever travel
// through .value and .textContent, never innerHTML. The list's window, order, search and cursor live in the
// #ews-list data-* attributes and travel in every request; the server keeps none of them.
(function () {
  "use strict";

  var THEME_KEY = "ews-theme";
  var lastTrigger = null;
  var lastSessionId = null;
  // Where the cursor should land once the window that holds it arrives, by index and (after a rename) by session.
  var pendingCursor = null;
  var pendingCursorId = null;
  // What the list looked like just before htmx replaced it, to keep the scroll position.
  var before = null;
  var scrollTimer = null;
  // Marks the window requests of scrolling and of the cursor: the server then replaces the address instead of
  // pushing one history entry per window, and the swap keeps the scroll position.
  var WINDOW_HEADER = "EWS-Window";

  function list() {
    return document.getElementById("ews-list");
  }
  function viewport() {
    return document.getElementById("ews-viewport");
  }
  function data(name) {
    var element = list();
    return element ? Number(element.dataset[name] || 0) : 0;
  }
  function rowOf(element) {
    return element.closest("tr[data-session-id]");
  }
  function rowAt(index) {
    return document.querySelector('#ews-list tr[aria-rowindex="' + (index + 2) + '"]');
  }
  function indexOf(row) {
    return Number(row.getAttribute("aria-rowindex")) - 2;
  }
  function selectedRow() {
    return rowAt(data("cursor"));
  }
  function rowHeight() {
    var row = document.querySelector("#ews-list tr[data-session-id]");
    return row ? row.getBoundingClientRect().height : 0;
  }

  // The spacer rows stand for the rows outside the window, so the scroll bar spans the whole list.
  function layout() {
    var height = rowHeight();
    document.querySelectorAll("#ews-list tr.ews-spacer").forEach(function (spacer) {
      spacer.style.height = height * Number(spacer.dataset.rows || 0) + "px";
    });
  }

  function loadWindow(offset, cursor) {
    var element = list();
    if (!element || !window.htmx) return;
    var values = { offset: String(offset), cursor: String(cursor === null ? data("cursor") : cursor) };
    // The list is the source, so the request syncs as its hx-sync says: the newest read of the list wins.
    var headers = {};
    headers[WINDOW_HEADER] = "scroll";
    window.htmx.ajax("GET", element.dataset.listUrl, { source: element, target: "#ews-list", swap: "outerHTML", values: values, headers: headers });
  }

  // Scrolling past the window fetches the window around the rows in view.
  function onScroll() {
    var box = viewport();
    var height = rowHeight();
    if (!box || !height) return;
    var total = data("total");
    var offset = data("offset");
    var limit = data("limit");
    var first = Math.min(total - 1, Math.floor(box.scrollTop / height));
    var visible = Math.ceil(box.clientHeight / height);
    var last = Math.min(total, first + visible);
    if (first >= offset && last <= offset + data("count")) return;
    clearTimeout(scrollTimer);
    scrollTimer = setTimeout(function () {
      var start = Math.max(0, Math.min(total - limit, first - Math.floor((limit - visible) / 2)));
      if (start !== data("offset")) loadWindow(start, null);
    }, 60);
  }

  // Moves the keyboard cursor; a row outside the window brings the window that holds it.
  function setCursor(index) {
    var element = list();
    var total = data("total");
    if (!element || total === 0) return;
    index = Math.max(0, Math.min(total - 1, index));
    element.dataset.cursor = String(index);
    var row = rowAt(index);
    if (!row) {
      var limit = data("limit");
      pendingCursor = index;
      loadWindow(Math.max(0, Math.min(total - limit, index - Math.floor(limit / 2))), index);
      return;
    }
    markSelected(row);
    scrollToRow(row);
  }

  // Brings a row into view by scrolling the list vertically only (scrollIntoView would also scroll sideways).
  function scrollToRow(row) {
    var box = viewport();
    if (!box) return;
    var head = box.querySelector("thead");
    var top = row.offsetTop - (head ? head.offsetHeight : 0);
    var bottom = row.offsetTop + row.offsetHeight - box.clientHeight;
    if (box.scrollTop > top) box.scrollTop = top;
    else if (box.scrollTop < bottom) box.scrollTop = bottom;
  }

  function markSelected(row) {
    document.querySelectorAll('#ews-list tr[aria-selected="true"]').forEach(function (other) {
      if (other !== row) other.setAttribute("aria-selected", "false");
    });
    row.setAttribute("aria-selected", "true");
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
    if (id === "ews-rename-dialog") pendingCursorId = row.dataset.sessionId;
    dialog.showModal();
    if (label) {
      label.focus();
      label.select();
    }
  }

  // After a dialog closes, focus goes back to the button that opened it, or to the same button in the refreshed row.
  function restoreFocus() {
    // A successful rename has moved the cursor by now (htmx swaps before it fires afterRequest, which closes the
    // dialog); a cancelled one must not move it on some later swap.
    pendingCursorId = null;
    if (!lastTrigger) return;
    if (document.contains(lastTrigger) && lastTrigger !== document.body) {
      lastTrigger.focus();
      return;
    }
    // Opened from the keyboard: leave no focus behind in the closed dialog, so the shortcuts work again.
    var focused = document.activeElement;
    if (focused && focused.closest && focused.closest("dialog:not([open])")) focused.blur();
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

  function isTyping(target) {
    return !!target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  var KEYS = {
    ArrowDown: function () {
      setCursor(data("cursor") + 1);
    },
    ArrowUp: function () {
      setCursor(data("cursor") - 1);
    },
    PageDown: function () {
      setCursor(data("cursor") + data("limit"));
    },
    PageUp: function () {
      setCursor(data("cursor") - data("limit"));
    },
    Home: function () {
      setCursor(0);
    },
    End: function () {
      setCursor(data("total") - 1);
    },
    Enter: function () {
      var button = selectedRow() && selectedRow().querySelector("[data-action=resume]");
      if (button) button.click();
    },
    F2: function () {
      openDialog("ews-rename-dialog", selectedRow());
    },
    Delete: function () {
      openDialog("ews-delete-dialog", selectedRow());
    },
    n: function () {
      var button = document.querySelector("[data-action=create]");
      if (button) button.click();
    },
    "/": function () {
      var search = document.querySelector("[data-role=search]");
      if (search) {
        search.focus();
        search.select();
      }
    },
  };

  // Shortcuts never fire while typing in a field, while a dialog is open, or with a modifier held.
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (event.key === "Escape" && event.target.matches && event.target.matches("[data-role=search]")) {
      event.target.blur();
      return;
    }
    if (document.querySelector("dialog[open]") || isTyping(event.target)) return;
    if (event.key === "Enter" && event.target.closest && event.target.closest("a, button, summary")) return;
    var action = Object.prototype.hasOwnProperty.call(KEYS, event.key) && KEYS[event.key];
    if (!action || !list()) return;
    event.preventDefault();
    action();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    var row = rowOf(event.target);
    if (row) setCursor(indexOf(row));
    if (!button) return;
    var action = button.dataset.action;
    // Rename, Delete and Cancel are links so that they work without JavaScript; with it, they open and close the
    // dialogs in place.
    if (action === "rename" || action === "delete" || action === "close-dialog") event.preventDefault();
    if (action === "rename") openDialog("ews-rename-dialog", rowOf(button));
    else if (action === "delete") openDialog("ews-delete-dialog", rowOf(button));
    else if (action === "close-dialog") button.closest("dialog").close();
    else if (action === "toggle-theme") toggleTheme();
  });

  // A dialog the server rendered open (the page was asked for with ?rename= or ?delete=) becomes a real modal.
  document.querySelectorAll("dialog.modal[open]").forEach(function (dialog) {
    dialog.close();
    lastTrigger = null;
    lastSessionId = dialog.querySelector("input[name=session_id]").value;
    dialog.showModal();
    var label = dialog.querySelector("input[name=label]");
    if (label) {
      label.focus();
      label.select();
    }
    var url = new URL(location.href);
    url.searchParams.delete("rename");
    url.searchParams.delete("delete");
    history.replaceState(null, "", url.pathname + url.search);
  });

  document.addEventListener(
    "scroll",
    function (event) {
      if (event.target === viewport()) onScroll();
    },
    true,
  );

  document.addEventListener(
    "close",
    function (event) {
      if (event.target.matches && event.target.matches("dialog.modal")) restoreFocus();
    },
    true,
  );

  // Every request carries the list's order and search; actions also carry the window and the cursor, so the server
  // answers the same window with the cursor in place (or on its nearest neighbour after a delete).
  document.addEventListener("htmx:configRequest", function (event) {
    var element = list();
    if (!element) return;
    var parameters = event.detail.parameters;
    var inUrl = new URL(event.detail.path, location.href).searchParams;
    var search = document.querySelector("[data-role=search]");
    var state = { sort: element.dataset.sort, dir: element.dataset.dir, q: search ? search.value : element.dataset.q };
    Object.keys(state).forEach(function (name) {
      if (!inUrl.has(name)) parameters[name] = state[name];
    });
    var isCreate = event.detail.elt.closest && event.detail.elt.closest("[hx-post$='/create']");
    if (event.detail.verb !== "post" || isCreate) return;
    if (!("offset" in parameters)) parameters.offset = element.dataset.offset;
    if (!("cursor" in parameters)) parameters.cursor = element.dataset.cursor;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var dialog = event.detail.elt.closest && event.detail.elt.closest("dialog");
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (dialog && status >= 200 && status < 400) dialog.close();
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

  // Before the list is replaced, remember its window and scroll position.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status >= 400 || !event.detail.target || event.detail.target.id !== "ews-list") return;
    var box = viewport();
    var headers = (event.detail.requestConfig && event.detail.requestConfig.headers) || {};
    before = { offset: data("offset"), scrollTop: box ? box.scrollTop : 0, keep: headers[WINDOW_HEADER] === "scroll" };
  });

  // A new window arrived: size the spacers, then keep the scroll position, or bring the cursor's row into view.
  document.addEventListener("htmx:afterSwap", function () {
    if (!before || !list()) return;
    var previous = before;
    before = null;
    layout();
    var box = viewport();
    var height = rowHeight();
    // A window fetched by scrolling or by the cursor keeps the scroll position (the spacers put it in place); a
    // refresh of the same window too; any other window (Next, a new order, a search) shows its first row.
    if (box && height) box.scrollTop = previous.keep || previous.offset === data("offset") ? previous.scrollTop : data("offset") * height;
    if (pendingCursorId) {
      var renamed = document.querySelector('#ews-list tr[data-session-id="' + CSS.escape(pendingCursorId) + '"]');
      if (renamed) list().dataset.cursor = String(indexOf(renamed));
      pendingCursorId = null;
    }
    var cursor = pendingCursor === null ? data("cursor") : pendingCursor;
    var hadPending = pendingCursor !== null;
    pendingCursor = null;
    if (rowAt(cursor)) {
      if (hadPending) setCursor(cursor);
      else {
        markSelected(rowAt(cursor));
        list().dataset.cursor = String(cursor);
      }
    }
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

  function start() {
    // The theme toggle and the shortcuts legend work only with this script: the page sends them hidden.
    document.querySelectorAll("[data-needs-script]").forEach(function (element) {
      element.hidden = false;
    });
    layout();
    var box = viewport();
    var height = rowHeight();
    if (box && height) box.scrollTop = data("offset") * height;
    var row = selectedRow();
    if (row && data("offset") > 0) scrollToRow(row);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.addEventListener("resize", layout);
  // Back and Forward bring the page from the server again (htmx keeps no history cache): lay it out as on load.
  document.addEventListener("htmx:historyRestore", start);
})();
