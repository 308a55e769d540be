import { jest } from "@jest/globals";
import type { Server } from "node:http";
import type { Browser, Page } from "playwright-core";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { failsUnlessWithin, launchBrowser, listenLocally, openPage, seriousViolations } from "./browser-helpers.js";
import { backends, buildApp, FLOW, type Backend } from "./helpers.js";

// Chromium on a loaded machine: the flows wait for conditions, never for time, but may take a while.
jest.setTimeout(90_000);

const P = "/manage/sessions";
const HOSTILE = `<img src=x onerror="window.__xss=1">`;
const SESSIONS = 95;
const label = (i: number) => `Talk ${String(i).padStart(3, "0")}`;

/** The bulk bar's "N selected" as the visitor reads it, or null while the bar is hidden. */
function barText(page: Page) {
  return page.evaluate(() => {
    const bar = document.getElementById("ews-bulk-bar");
    return bar && !bar.hidden ? (bar.querySelector("[data-role=selected-count]")?.textContent ?? "") : null;
  });
}

/** The labels of the window's checked rows, in order. */
function checkedLabels(page: Page) {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLInputElement>("#ews-list tr[data-session-id] input[data-role=select-row]"))
      .filter((box) => box.checked)
      .map((box) => box.closest("tr")!.getAttribute("data-session-label")),
  );
}

function waitForBar(page: Page, text: string | null) {
  return page.waitForFunction((expected) => {
    const bar = document.getElementById("ews-bulk-bar");
    const shown = bar && !bar.hidden ? (bar.querySelector("[data-role=selected-count]")?.textContent ?? "") : null;
    return shown === expected;
  }, text);
}

function waitForCursor(page: Page, index: number) {
  return page.waitForFunction(
    (expected) => document.querySelector(`#ews-list tr[aria-selected="true"][aria-rowindex="${expected + 2}"]`) !== null,
    index,
  );
}

const rowBox = (page: Page, name: string) => page.locator(`#ews-list tr[data-session-label="${name}"] input[data-role=select-row]`);

/** The cursor's place in the whole list, or null while its row is not in the window. */
function cursorIndex(page: Page) {
  return page.evaluate(() => {
    const row = document.querySelector('#ews-list tr[aria-selected="true"]');
    return row ? Number(row.getAttribute("aria-rowindex")) - 2 : null;
  });
}

/**
 * Holds the list's window reads (the ones the cursor and scrolling send) at the network until `release()`.
 * `arrived` resolves once one has reached the gate: keys pressed after it are pressed while a window is loading. It
 * fails, naming what it waited for, if none comes within 30 s (a key that sent nothing), instead of the test's timeout.
 */
async function holdWindows(page: Page) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrive!: () => void;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  await page.route((url) => url.pathname.endsWith("/list") && url.searchParams.has("offset"), async (route) => {
    arrive();
    await released;
    await route.continue().catch(() => undefined); // htmx may have replaced (aborted) it by now
  });
  return { arrived: failsUnlessWithin(reached, "no window read reached the network", 30_000), release };
}

/** What htmx marks while a request is in flight or a swap is settling. */
const BUSY = ".htmx-request, .htmx-swapping, .htmx-settling";

/** Resolves once no request is in flight and no swap is settling. */
function settled(page: Page) {
  return page.waitForFunction((busy) => document.querySelector(busy) === null, BUSY);
}

/**
 * Resolves once the window shown holds every row in view and no request is in flight: the scrolling that follows a
 * cursor move (the window read that centres the rows in view) is over, and nothing more is on its way.
 */
function atRest(page: Page) {
  return page.waitForFunction((busy) => {
    if (document.querySelector(busy)) return false;
    const box = document.getElementById("ews-viewport");
    const list = document.getElementById("ews-list");
    const row = list?.querySelector<HTMLElement>("tr[data-session-id]");
    if (!box || !list || !row) return false;
    const height = row.getBoundingClientRect().height;
    const offset = Number(list.dataset.offset);
    const first = Math.floor(box.scrollTop / height);
    const last = Math.min(Number(list.dataset.total), first + Math.ceil(box.clientHeight / height));
    return first >= offset && last <= offset + Number(list.dataset.count);
  }, BUSY);
}

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

// The same flows on both databases; the rest (keys, confirmations, axe) once, on SQLite.
describe.each(backends)("selecting and bulk actions in Chromium (%s)", (backend: Backend) => {
  let store: WorkflowStore;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    store = await backend.openStore();
    for (let i = 0; i < SESSIONS; i++) await store.createSession(FLOW, { sessionId: `s${String(i).padStart(3, "0")}`, label: label(i) });
    const listening = await listenLocally(buildApp({ store, pageSize: 20 }));
    server = listening.server;
    base = `${listening.origin}${P}?sort=label&dir=asc`;
  }, 120_000);

  afterAll(async () => {
    // A test that failed before closing its context leaves its connections open; they must not hold the close.
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("checks rows by click, counts them in the bar, and keeps them while scrolling to another window", async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(base);
    expect(await barText(page)).toBeNull();
    await rowBox(page, label(0)).click();
    await rowBox(page, label(2)).click();
    await waitForBar(page, "2 selected");
    await page.keyboard.press("End");
    await waitForCursor(page, SESSIONS - 1);
    await rowBox(page, label(SESSIONS - 1)).click();
    await waitForBar(page, "3 selected");
    await page.keyboard.press("Home");
    await waitForCursor(page, 0);
    expect(await checkedLabels(page)).toEqual([label(0), label(2)]);
    expect(await barText(page)).toBe("3 selected");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("clears the selection on a new search", async () => {
    const { context, page } = await openPage(browser);
    await page.goto(base);
    await rowBox(page, label(1)).click();
    await waitForBar(page, "1 selected");
    await page.keyboard.press("/");
    await page.keyboard.type("Talk 00");
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent?.includes("matching"));
    await waitForBar(page, null);
    expect(await checkedLabels(page)).toEqual([]);
    await context.close();
  });

  it("selects the window with the header checkbox, then all matching, and confirms with the count", async () => {
    const { context, page } = await openPage(browser);
    await page.goto(base);
    await page.locator("#ews-list [data-role=select-window]").click();
    await waitForBar(page, "20 selected");
    const all = page.locator("#ews-bulk-bar [data-action=select-all-matching]");
    expect(await all.textContent()).toBe(`Select all ${SESSIONS} matching`);
    await all.click();
    await waitForBar(page, `All ${SESSIONS} matching selected`);
    await page.locator("#ews-bulk-bar [data-action=bulk-delete]").click();
    const dialog = page.locator("dialog[open]");
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`Move ${SESSIONS} sessions to the trash?`);
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => document.querySelector("dialog[open]") === null);
    // Unchecking one row leaves "all matching" for the window's rows less that one.
    await rowBox(page, label(3)).click();
    await waitForBar(page, "19 selected");
    await context.close();
  });

  it("exports the whole selection from the bulk bar: ids from windows scrolled away, then all matching", async () => {
    const { context, page, problems } = await openPage(browser, { acceptDownloads: true });
    await page.goto(base);
    const exported = async () => {
      const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#ews-bulk-bar [data-action=bulk-export]").click()]);
      const text = await new Promise<string>((resolve, reject) => {
        void download.createReadStream().then((stream) => {
          let body = "";
          stream.on("data", (chunk: Buffer) => void (body += chunk.toString()));
          stream.on("end", () => resolve(body));
          stream.on("error", reject);
        }, reject);
      });
      return (JSON.parse(text) as { sessions: { label: string }[] }).sessions.map((session) => session.label).sort();
    };
    await rowBox(page, label(1)).click();
    await page.keyboard.press("End");
    await waitForCursor(page, SESSIONS - 1);
    await rowBox(page, label(SESSIONS - 1)).click();
    await waitForBar(page, "2 selected");
    // Label 1's row is in a window no longer on screen; it is exported all the same.
    expect(await exported()).toEqual([label(1), label(SESSIONS - 1)]);
    await page.keyboard.press("Home");
    await waitForCursor(page, 0);
    await page.locator("#ews-list [data-role=select-window]").click();
    await page.locator("#ews-bulk-bar [data-action=select-all-matching]").click();
    await waitForBar(page, `All ${SESSIONS} matching selected`);
    expect(await exported()).toEqual(Array.from({ length: SESSIONS }, (_, i) => label(i)));
    // The checkboxes are back in the bulk form once the export was sent.
    expect(await page.locator("#ews-list input[data-role=select-row]:disabled").count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("moves the selection to the trash after the confirmation, and Undo restores exactly those sessions", async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(base);
    for (const i of [0, 2, 4]) await rowBox(page, label(i)).click();
    await waitForBar(page, "3 selected");
    await page.locator("#ews-bulk-bar [data-action=bulk-delete]").click();
    const dialog = page.locator("#ews-bulk-dialog[open]");
    await dialog.waitFor();
    expect(await dialog.locator("[data-role=bulk-question]").textContent()).toBe("Move 3 sessions to the trash?");
    await dialog.getByRole("button", { name: "Move to trash" }).click();
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent === "92 sessions");
    expect(await barText(page)).toBeNull();
    const notice = page.locator("#ews-alerts .ews-notice");
    expect(await notice.textContent()).toContain("Deleted 3 sessions.");
    for (const i of [0, 2, 4]) expect(await store.sessionExists(FLOW, `s${String(i).padStart(3, "0")}`)).toBe(false);
    await notice.getByRole("button", { name: "Undo" }).click();
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent === "95 sessions");
    for (const i of [0, 2, 4]) expect(await store.sessionExists(FLOW, `s${String(i).padStart(3, "0")}`)).toBe(true);
    expect(await page.locator(`#ews-list tr[data-session-label="${label(2)}"]`).count()).toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("deletes all that match a search, keyboard only, and Undo brings every one back", async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(base);
    await page.keyboard.press("/");
    await page.keyboard.type("Talk 01");
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent?.startsWith("10 sessions matching"));
    // Out of the search box (Escape would clear the search), then Ctrl+A.
    await page.keyboard.press("Tab");
    await page.keyboard.press("ControlOrMeta+a");
    await waitForBar(page, "All 10 matching selected");
    await page.keyboard.press("Delete");
    const dialog = page.locator("#ews-bulk-dialog[open]");
    await dialog.waitFor();
    expect(await dialog.locator("[data-role=bulk-question]").textContent()).toBe("Move 10 sessions to the trash?");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Move to trash");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent?.startsWith("0 sessions matching"));
    expect(await store.countSessions(FLOW)).toBe(SESSIONS - 10);
    await page.locator("#ews-alerts [data-action=undo]").focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent?.startsWith("10 sessions matching"));
    expect(await store.countSessions(FLOW)).toBe(SESSIONS);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("restores and deletes forever from the trash page with the same selection and bar", async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(base);
    for (const i of [5, 6, 7]) await rowBox(page, label(i)).click();
    await page.locator("#ews-bulk-bar [data-action=bulk-delete]").click();
    await page.locator("#ews-bulk-dialog[open]").getByRole("button", { name: "Move to trash" }).click();
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent === "92 sessions");
    await page.goto(base.replace(`${P}?`, `${P}/trash?`));
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent?.startsWith("3 sessions in the trash"));
    await page.locator("#ews-list [data-role=select-window]").click();
    await waitForBar(page, "3 selected");
    await rowBox(page, label(7)).click();
    await waitForBar(page, "2 selected");
    await page.locator("#ews-bulk-bar [data-action=bulk-restore]").click();
    const dialog = page.locator("#ews-bulk-dialog[open]");
    await dialog.waitFor();
    expect(await dialog.locator("[data-role=bulk-question]").textContent()).toBe("Restore 2 sessions?");
    await dialog.getByRole("button", { name: "Restore" }).click();
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent?.startsWith("1 session in the trash"));
    expect(await store.sessionExists(FLOW, "s005")).toBe(true);
    await rowBox(page, label(7)).click();
    await waitForBar(page, "1 selected");
    await page.keyboard.press("Delete");
    await dialog.waitFor();
    expect(await dialog.locator("[data-role=bulk-question]").textContent()).toBe(`Delete “${label(7)}” forever?`);
    await dialog.getByRole("button", { name: "Delete forever" }).click();
    await page.waitForFunction(() => document.querySelector("[data-role=trash-empty]") !== null);
    expect(await store.sessionExists(FLOW, "s007")).toBe(false);
    expect(problems).toEqual([]);
    await context.close();
  });
});

describe("selecting from the keyboard, confirmations and accessibility (sqlite)", () => {
  let store: WorkflowStore;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    store = await backends[0]!.openStore();
    for (let i = 0; i < SESSIONS; i++) await store.createSession(FLOW, { sessionId: `s${String(i).padStart(3, "0")}`, label: label(i) });
    await store.createSession(FLOW, { sessionId: "zz-hostile", label: `~ ${HOSTILE}` });
    const listening = await listenLocally(buildApp({ store, pageSize: 20 }));
    server = listening.server;
    base = `${listening.origin}${P}?sort=label&dir=asc`;
  }, 120_000);

  afterAll(async () => {
    // A test that failed before closing its context leaves its connections open; they must not hold the close.
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("Space toggles the cursor's row, Shift+↓ and Shift+↑ extend a range, Escape clears, Ctrl+A selects all matching", async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(base);
    await page.keyboard.press("Space");
    await waitForBar(page, "1 selected");
    await page.keyboard.press("Space");
    await waitForBar(page, null);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Shift+ArrowDown");
    await page.keyboard.press("Shift+ArrowDown");
    await page.keyboard.press("Shift+ArrowDown");
    await waitForBar(page, "4 selected");
    expect(await checkedLabels(page)).toEqual([label(1), label(2), label(3), label(4)]);
    await page.keyboard.press("Escape");
    await waitForBar(page, null);
    // Past the window's edge (rows 1–20 are loaded): the range goes on in the window that arrives.
    await page.keyboard.press("Home");
    for (let i = 0; i < 18; i++) await page.keyboard.press("ArrowDown");
    await waitForCursor(page, 18);
    for (let i = 0; i < 3; i++) await page.keyboard.press("Shift+ArrowDown");
    await waitForBar(page, "4 selected");
    await waitForCursor(page, 21);
    expect(await checkedLabels(page)).toEqual([18, 19, 20, 21].map(label));
    await page.keyboard.press("Escape");
    await waitForBar(page, null);
    // Upwards from the last row.
    await page.keyboard.press("End");
    await waitForCursor(page, SESSIONS);
    await page.keyboard.press("Shift+ArrowUp");
    await page.keyboard.press("Shift+ArrowUp");
    await waitForBar(page, "3 selected");
    await page.keyboard.press("ControlOrMeta+a");
    await waitForBar(page, `All ${SESSIONS + 1} matching selected`);
    expect(problems).toEqual([]);
    await context.close();
  });

  // Deterministic versions of what a loaded machine does at random: the next window's answer is held at the network
  // while more keys are pressed, then let go. Each key must act once, in order, as it would without the wait.
  describe("keys pressed while the next window loads", () => {
    it("applies every Shift+↓, once and in order, to the window that arrives", async () => {
      const { context, page, problems } = await openPage(browser);
      await page.goto(base);
      for (let i = 0; i < 18; i++) await page.keyboard.press("ArrowDown");
      await waitForCursor(page, 18);
      await atRest(page);
      const windows = await holdWindows(page);
      await page.keyboard.press("Shift+ArrowDown"); // 18–19, in the window (rows 1–20)
      await page.keyboard.press("Shift+ArrowDown"); // to 20: the next window is asked for
      await windows.arrived;
      for (let i = 0; i < 3; i++) await page.keyboard.press("Shift+ArrowDown");
      windows.release();
      await settled(page);
      expect(await cursorIndex(page)).toBe(23);
      expect(await checkedLabels(page)).toEqual([18, 19, 20, 21, 22, 23].map(label));
      expect(await barText(page)).toBe("6 selected");
      expect(problems).toEqual([]);
      await context.close();
    });

    it("takes the cursor back with Shift+↑ pressed before the window arrives, and keeps the row it passed", async () => {
      const { context, page } = await openPage(browser);
      await page.goto(base);
      for (let i = 0; i < 18; i++) await page.keyboard.press("ArrowDown");
      await waitForCursor(page, 18);
      await atRest(page);
      const windows = await holdWindows(page);
      await page.keyboard.press("Shift+ArrowDown");
      await page.keyboard.press("Shift+ArrowDown");
      await windows.arrived;
      for (let i = 0; i < 3; i++) await page.keyboard.press("Shift+ArrowUp"); // back to 17, inside the old window
      windows.release();
      await settled(page);
      expect(await cursorIndex(page)).toBe(17);
      expect(await checkedLabels(page)).toEqual([17, 18, 19, 20].map(label));
      expect(await barText(page)).toBe("4 selected");
      await context.close();
    });

    it("moves on from Home with the arrows and Space, even through rows the old window still shows", async () => {
      const { context, page } = await openPage(browser);
      await page.goto(base);
      for (let i = 0; i < 21; i++) await page.keyboard.press("ArrowDown");
      await waitForCursor(page, 21);
      await atRest(page);
      const windows = await holdWindows(page);
      await page.keyboard.press("Home");
      await windows.arrived;
      for (let i = 0; i < 12; i++) await page.keyboard.press("ArrowDown");
      await page.keyboard.press("Space");
      windows.release();
      await settled(page);
      expect(await cursorIndex(page)).toBe(12);
      expect(await checkedLabels(page)).toEqual([label(12)]);
      expect(await barText(page)).toBe("1 selected");
      await context.close();
    });
  });

  it("Shift-click extends a range from the last row checked", async () => {
    const { context, page } = await openPage(browser);
    await page.goto(base);
    await rowBox(page, label(2)).click();
    await rowBox(page, label(6)).click({ modifiers: ["Shift"] });
    await waitForBar(page, "5 selected");
    expect(await checkedLabels(page)).toEqual([2, 3, 4, 5, 6].map(label));
    await page.locator(`#ews-list tr[data-session-label="${label(9)}"] td:nth-child(3)`).click({ modifiers: ["Shift"] });
    await waitForBar(page, "8 selected");
    await context.close();
  });

  it("reaches the bulk bar from the keyboard, and Clear empties the selection", async () => {
    const { context, page } = await openPage(browser);
    await page.goto(base);
    await page.keyboard.press("Space");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Space");
    await waitForBar(page, "2 selected");
    expect(await page.getByRole("toolbar").getAttribute("id")).toBe("ews-bulk-bar");
    // Tab moves through the toolbar's buttons.
    await page.locator("#ews-bulk-bar [data-action=bulk-delete]").focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-action"))).toBe("bulk-export");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-action"))).toBe("clear-selection");
    await page.keyboard.press("Enter");
    await waitForBar(page, null);
    // Focus lands on the cursor row's checkbox, where the keys go on working.
    expect(await page.evaluate(() => document.activeElement?.closest("tr")?.getAttribute("aria-selected"))).toBe("true");
    await page.keyboard.press("ArrowDown");
    await waitForCursor(page, 2);
    await context.close();
  });

  it("names a single session in the confirmation as text, and puts the single-delete dialog back after", async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(base);
    await page.keyboard.press("End");
    await waitForCursor(page, SESSIONS);
    await page.keyboard.press("Space");
    await waitForBar(page, "1 selected");
    await page.keyboard.press("Delete");
    const dialog = page.locator("dialog[open]");
    await dialog.waitFor();
    expect(await dialog.locator("h2, [data-role=bulk-question]").first().textContent()).toBe(`Move “~ ${HOSTILE}” to the trash?`);
    expect(await page.locator("dialog img").count()).toBe(0);
    expect(await seriousViolations(page, "dialog[open]")).toEqual([]);
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => document.querySelector("dialog[open]") === null);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(problems).toEqual([]);
    await context.close();
  });

  it.each(["light", "dark"] as const)("finds no serious or critical violations with a selection and the bulk bar shown (%s)", async (colorScheme) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme });
    const page = await context.newPage();
    await page.goto(base);
    await page.locator("#ews-list [data-role=select-window]").click();
    await waitForBar(page, "20 selected");
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator("#ews-bulk-bar [data-action=select-all-matching]").click();
    await page.locator("#ews-bulk-bar [data-action=bulk-delete]").click();
    await page.locator("#ews-bulk-dialog[open]").waitFor();
    expect(await seriousViolations(page, "#ews-bulk-dialog")).toEqual([]);
    await context.close();
  }, 120_000);

  it("finds no serious or critical violations on the trash page, its bulk bar and its confirmation", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(base);
    for (const i of [10, 11]) await rowBox(page, label(i)).click();
    await page.locator("#ews-bulk-bar [data-action=bulk-delete]").click();
    await page.locator("#ews-bulk-dialog[open]").getByRole("button", { name: "Move to trash" }).click();
    await page.waitForFunction(() => document.querySelector("[data-role=count]")?.textContent === `${94} sessions`);
    await page.goto(base.replace(`${P}?`, `${P}/trash?`));
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator("#ews-list [data-role=select-window]").click();
    await waitForBar(page, "2 selected");
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator("#ews-bulk-bar [data-action=bulk-purge]").click();
    await page.locator("#ews-bulk-dialog[open]").waitFor();
    expect(await seriousViolations(page, "#ews-bulk-dialog")).toEqual([]);
    await context.close();
  }, 120_000);
});

describe("the Undo notice's countdown", () => {
  let store: WorkflowStore;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    store = await backends[0]!.openStore();
    for (let i = 0; i < 3; i++) await store.createSession(FLOW, { sessionId: `s${i}`, label: label(i) });
    const listening = await listenLocally(buildApp({ store, pageSize: 20 }));
    server = listening.server;
    base = `${listening.origin}${P}`;
  }, 60_000);

  afterAll(async () => {
    // A test that failed before closing its context leaves its connections open; they must not hold the close.
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  // A notice with data-timeout, as the server sends after a delete, put into the notices area as htmx would.
  async function showNotice(page: Page) {
    await page.evaluate(() => {
      const notice = document.createElement("div");
      notice.className = "alert alert-success ews-notice";
      notice.setAttribute("role", "status");
      notice.setAttribute("data-kind", "success");
      notice.setAttribute("data-timeout", "10");
      const text = document.createElement("span");
      text.textContent = "Moved 1 session to the trash.";
      const button = document.createElement("button");
      button.type = "submit";
      button.textContent = "Undo";
      button.setAttribute("data-action", "undo");
      const form = document.createElement("form");
      form.setAttribute("data-role", "undo-form");
      form.append(button);
      notice.append(text, form);
      document.getElementById("ews-alerts")!.replaceChildren(notice);
      document.body.dispatchEvent(new CustomEvent("htmx:afterSettle", { bubbles: true }));
    });
  }
  const noticeShown = (page: Page) => page.evaluate(() => document.querySelector("#ews-alerts .ews-notice") !== null);

  it("stays 10 seconds, pauses while it has hover or focus, and has a Dismiss button", async () => {
    const { context, page } = await openPage(browser);
    await page.clock.install();
    await page.goto(base);
    // From here the page's time moves only when the test moves it.
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1_000);
    await showNotice(page);
    await page.clock.runFor(9_000);
    expect(await noticeShown(page)).toBe(true);
    // Hover: the countdown stops with 1 s left.
    await page.hover("#ews-alerts .ews-notice");
    await page.clock.runFor(60_000);
    expect(await noticeShown(page)).toBe(true);
    await page.mouse.move(0, 0);
    // Focus (the keyboard's way to it): stopped again.
    await page.locator("#ews-alerts [data-action=undo]").focus();
    await page.clock.runFor(60_000);
    expect(await noticeShown(page)).toBe(true);
    await page.locator("#ews-alerts [data-action=undo]").blur();
    await page.clock.runFor(1_100);
    expect(await noticeShown(page)).toBe(false);

    await showNotice(page);
    expect(await page.getAttribute("#ews-alerts .ews-notice", "role")).toBe("status");
    expect(await page.getAttribute("#ews-alerts", "aria-live")).toBe("polite");
    await page.locator("#ews-alerts .ews-dismiss").click();
    expect(await noticeShown(page)).toBe(false);
    await context.close();
  });

  it("keeps the notice of a real delete, with its Undo, until 10 seconds have passed", async () => {
    const { context, page } = await openPage(browser);
    await page.clock.install();
    await page.goto(base);
    await page.locator(`#ews-list tr[data-session-label="${label(1)}"] input[data-role=select-row]`).click();
    await page.keyboard.press("Delete");
    await page.locator("#ews-bulk-dialog[open]").getByRole("button", { name: "Move to trash" }).click();
    await page.locator("#ews-alerts [data-action=undo]").waitFor();
    await page.mouse.move(0, 0);
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 100);
    await page.clock.runFor(5_000);
    expect(await noticeShown(page)).toBe(true);
    await page.clock.runFor(6_000);
    expect(await noticeShown(page)).toBe(false);
    await context.close();
  });
});
