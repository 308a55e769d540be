import type { Server } from "node:http";
import Database from "better-sqlite3";
import type { Browser, Page } from "playwright-core";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import { failsUnlessWithin, launchBrowser, listenLocally } from "./browser-helpers.js";
import { buildApp, FLOW, tempDir } from "./helpers.js";

const P = "/manage/sessions";

/** The cursor's row: its place in the whole list and its label. */
function cursorOf(page: Page) {
  return page.evaluate(() => {
    const row = document.querySelector('#ews-list tr[aria-selected="true"]');
    return row ? { index: Number(row.getAttribute("aria-rowindex")) - 2, label: row.getAttribute("data-session-label") } : null;
  });
}

function waitForCursor(page: Page, index: number) {
  return page.waitForFunction(
    (expected) => document.querySelector(`#ews-list tr[aria-selected="true"][aria-rowindex="${expected + 2}"]`) !== null,
    index,
  );
}

describe("the session list in Chromium", () => {
  let browser: Browser;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const file = `${tempDir()}/workflow_state.db`;
    const store = await createWorkflowStore({ filename: file });
    const raw = new Database(file);
    const insert = raw.prepare("INSERT INTO workflow_state (flow_session_key, state_json, created_at, updated_at, label) VALUES (?, '{}', ?, ?, ?)");
    raw.transaction(() => {
      for (let i = 0; i < 95; i++) {
        const time = `2026-01-01 ${String(Math.floor(i / 60)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00`;
        insert.run(`${FLOW}:s${String(i).padStart(3, "0")}`, time, time, `Talk ${String(i).padStart(3, "0")}`);
      }
    })();
    raw.close();
    const listening = await listenLocally(buildApp({ store, pageSize: 20 }));
    server = listening.server;
    base = `${listening.origin}${P}`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("moves the cursor with the arrows in the window, and fetches the window that holds the last and first rows", async () => {
    const page = await browser.newPage();
    await page.goto(base);
    expect(await cursorOf(page)).toEqual({ index: 0, label: "Talk 094" });
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    expect(await cursorOf(page)).toEqual({ index: 2, label: "Talk 092" });
    await page.keyboard.press("End");
    await waitForCursor(page, 94);
    expect(await cursorOf(page)).toEqual({ index: 94, label: "Talk 000" });
    expect(await page.textContent("[data-role=range]")).toBe("Rows 76–95 of 95");
    await page.keyboard.press("PageUp");
    await waitForCursor(page, 74);
    await page.keyboard.press("Home");
    await waitForCursor(page, 0);
    expect(await page.textContent("[data-role=range]")).toBe("Rows 1–20 of 95");
    await page.close();
  });

  it("focuses the search with /, filters as you type, fires no shortcut while typing, and sorts the matches", async () => {
    const page = await browser.newPage();
    await page.goto(base);
    await page.keyboard.press("/");
    await page.keyboard.type("talk 05n");
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent?.includes("matching"));
    expect(await page.textContent("[data-role=count]")).toBe("0 sessions matching “talk 05n”");
    await page.keyboard.press("Backspace");
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent === "10 sessions matching “talk 05”");
    await page.click("a[data-sort=label]");
    await page.waitForFunction(() => document.querySelector('th[aria-sort="ascending"] a[data-sort="label"]') !== null);
    expect(await cursorOf(page)).toEqual({ index: 0, label: "Talk 050" });
    await page.focus("[data-role=search]");
    await page.keyboard.press("Escape"); // clears the search and leaves the box
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent === "95 sessions");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-role"))).not.toBe("search");
    await page.close();
  });

  it("lets the newest read win: a window asked for before a search never replaces the search's list", async () => {
    const page = await browser.newPage();
    await page.goto(base);
    // Hold both reads with page.route: the window End asks for, then the search typed while it is held. The window
    // is let go first. Without sync its list would land first, and the search's answer would then have no list to
    // replace (htmx found its target when the request left), so the page would show the old list under the new search.
    const isWindow = (url: URL | string) => String(url).includes("/list?") && String(url).includes("offset=");
    const isSearch = (url: URL | string) => String(url).includes("/list?") && new URL(String(url)).searchParams.get("q") === "talk 05";
    const gate = () => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      let arrive!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      return { open, opened, arrive, arrived };
    };
    const windowGate = gate();
    const searchGate = gate();
    for (const [matches, held] of [[isWindow, windowGate], [isSearch, searchGate]] as const) {
      await page.route(matches, async (route) => {
        held.arrive();
        await held.opened;
        await route.continue().catch(() => undefined); // the browser may have aborted it by now
      });
    }
    const outcome = (matches: (url: string) => boolean) =>
      Promise.race([
        page.waitForEvent("requestfinished", { predicate: (request) => matches(request.url()), timeout: 0 }),
        page.waitForEvent("requestfailed", { predicate: (request) => matches(request.url()), timeout: 0 }),
      ]);
    const windowDone = outcome(isWindow);
    // Each wait names itself if it never ends, so a failure under load says which step it was stuck at.
    await page.keyboard.press("End");
    await failsUnlessWithin(windowGate.arrived, "stuck: End's window read reaches the network");
    await page.fill("[data-role=search]", "talk 05");
    await failsUnlessWithin(searchGate.arrived, "stuck: the search's read reaches the network");
    windowGate.open();
    await failsUnlessWithin(windowDone, "stuck: End's window read is answered or aborted");
    await failsUnlessWithin(page.waitForFunction(() => document.querySelector(".htmx-swapping, .htmx-settling") === null), "stuck: the window's swap ends");
    searchGate.open();
    await failsUnlessWithin(page.waitForFunction(() => document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling") === null), "stuck: the search's swap ends");
    expect(await page.inputValue("[data-role=search]")).toBe("talk 05");
    expect(await page.textContent("[data-role=count]")).toBe("10 sessions matching “talk 05”");
    expect(await page.textContent("[data-role=range]")).toBe("Rows 1–10 of 10");
    await page.close();
  });

  it("puts sort, search and window in the address bar, so a reload shows the same list", async () => {
    const page = await browser.newPage();
    await page.goto(base);
    await page.fill("[data-role=search]", "talk 0");
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent === "95 sessions matching “talk 0”");
    await page.click("a[data-sort=label]");
    await page.waitForFunction(() => document.querySelector('th[aria-sort="ascending"] a[data-sort="label"]') !== null);
    await page.waitForFunction(() => new URLSearchParams(location.search).get("sort") === "label");
    const url = new URL(page.url());
    expect(url.pathname).toBe(new URL(base).pathname); // the page, not the /list fragment
    expect(Object.fromEntries(url.searchParams)).toEqual({ sort: "label", dir: "asc", q: "talk 0" });
    await page.click("nav[aria-label=Pages] a:text('Next')");
    await page.waitForFunction(() => new URLSearchParams(location.search).get("offset") === "20");
    const before = { count: await page.textContent("[data-role=count]"), range: await page.textContent("[data-role=range]"), first: await page.locator("#ews-list tr[data-session-id]").first().getAttribute("data-session-label") };
    expect(before).toEqual({ count: "95 sessions matching “talk 0”", range: "Rows 21–40 of 95", first: "Talk 020" });
    await page.reload();
    expect(await page.inputValue("[data-role=search]")).toBe("talk 0");
    const after = { count: await page.textContent("[data-role=count]"), range: await page.textContent("[data-role=range]"), first: await page.locator("#ews-list tr[data-session-id]").first().getAttribute("data-session-label") };
    expect(after).toEqual(before);
    expect(await page.locator('th[aria-sort="ascending"] a[data-sort="label"]').count()).toBe(1);
    await page.close();
  });

  it("opens the rename dialog with F2, where keys type instead of acting, and keeps the cursor on the renamed row", async () => {
    const page = await browser.newPage();
    await page.goto(base);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("F2");
    expect(await page.evaluate(() => (document.getElementById("ews-rename-dialog") as HTMLDialogElement).open)).toBe(true);
    await page.keyboard.press("Control+a");
    await page.keyboard.type("Renamed n/");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector('#ews-list tr[aria-selected="true"]')?.getAttribute("data-session-label") === "Renamed n/");
    expect(await cursorOf(page)).toEqual({ index: 1, label: "Renamed n/" });
    expect(await page.textContent("[data-role=count]")).toBe("95 sessions");
    await page.close();
  });
});

describe("the read-only session list in Chromium", () => {
  let browser: Browser;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const store = await createWorkflowStore({ filename: `${tempDir()}/workflow_state.db` });
    for (const label of ["First", "Second", "Third"]) await store.createSession(FLOW, { label });
    const listening = await listenLocally(buildApp({ store, readonly: true }));
    server = listening.server;
    base = `${listening.origin}${P}`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  // After `keys`, ArrowDown: the shortcuts ignore it while a dialog is open, so the cursor reaching row 1 shows
  // that none opened; a dialog that did open ends the wait at once.
  async function pressThenMove(page: Page, keys: string[]) {
    for (const key of keys) await page.keyboard.press(key);
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction(() => document.querySelector("dialog[open]") !== null || document.querySelector('#ews-list tr[aria-selected="true"][aria-rowindex="3"]') !== null);
    return page.evaluate(() => Array.from(document.querySelectorAll("dialog[open]"), (dialog) => dialog.id));
  }

  it("opens no dialog for F2 or Delete, with or without a selection, since the server refuses every change", async () => {
    const page = await browser.newPage();
    await page.goto(base);
    await page.waitForSelector("[data-role=shortcuts]:not([hidden])", { state: "attached" });
    expect(await pressThenMove(page, ["F2"])).toEqual([]);
    await page.keyboard.press("ArrowUp");
    await waitForCursor(page, 0);
    expect(await pressThenMove(page, ["Delete"])).toEqual([]);
    await page.keyboard.press("ArrowUp");
    await waitForCursor(page, 0);
    expect(await pressThenMove(page, [" ", "Delete"])).toEqual([]);
    expect(await page.textContent("[data-role=shortcuts]")).not.toMatch(/rename|delete/);
    await page.close();
  });
});
