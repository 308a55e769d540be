import { execFileSync } from "node:child_process";
import { jest } from "@jest/globals";
import type { BrowserContext, Page } from "playwright-core";
import { demoInBrowser, openPage, seriousViolations } from "./browser-helpers.js";

const P = "/manage/sessions";
const FLOW = "structure_decomposition";
const rows = "#ews-list tbody tr[data-session-id]";

jest.setTimeout(90_000);

const suite = demoInBrowser();

/** Waits until the page's stream is open (htmx's SSE extension fired htmx:sseOpen). */
async function streamOpen(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { ewsLiveOpen?: boolean }).ewsLiveOpen === true);
}

/** Opens the manager in `context`, noting when its stream has opened. */
async function openTab(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.addInitScript(() => document.addEventListener("htmx:sseOpen", () => ((window as unknown as { ewsLiveOpen?: boolean }).ewsLiveOpen = true)));
  await page.goto(`${suite.demo.url}${P}`);
  await streamOpen(page);
  return page;
}

describe("live updates in Chromium", () => {
  it("shows a rename made in tab 1 in tab 2 without a reload, keeping tab 2's scroll, cursor and selection", async () => {
    const { context, page: first, problems } = await openPage(suite.browser);
    suite.contexts.push(context);
    await first.goto(`${suite.demo.url}${P}`);
    const second = await openTab(context);
    // Tab 2: the cursor on the third row, the second row selected, the list scrolled a little.
    const ids = await second.locator(rows).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-session-id")!));
    await second.evaluate(() => ((window as unknown as { ewsMarker?: boolean }).ewsMarker = true));
    await second.locator(`tr[data-session-id="${ids[1]}"] input[type=checkbox]`).check();
    await second.locator(`tr[data-session-id="${ids[2]}"] td`).nth(2).click();
    expect(await second.locator("#ews-list").getAttribute("data-cursor")).toBe("2");
    const scroll = await second.evaluate(() => {
      const box = document.getElementById("ews-viewport")!;
      box.scrollTop = 40;
      return box.scrollTop;
    });

    // Tab 1 renames the first row through its dialog.
    await first.locator(`tr[data-session-id="${ids[0]}"] [data-action=rename]`).click();
    await first.locator("#ews-rename-dialog input[name=label]").fill("Renamed in tab 1");
    await first.locator("#ews-rename-dialog input[name=label]").press("Enter");
    await first.locator(`tr[data-session-id="${ids[0]}"] >> text=Renamed in tab 1`).waitFor();

    // Tab 2 shows it, the same page (no reload) with its state as it was.
    await second.locator(`tr[data-session-id="${ids[0]}"] >> text=Renamed in tab 1`).waitFor();
    expect(await second.evaluate(() => (window as unknown as { ewsMarker?: boolean }).ewsMarker)).toBe(true);
    expect(await second.locator("#ews-list").getAttribute("data-cursor")).toBe("2");
    expect(await second.locator(`tr[data-session-id="${ids[2]}"]`).getAttribute("aria-selected")).toBe("true");
    expect(await second.locator(`tr[data-session-id="${ids[1]}"] input[type=checkbox]`).isChecked()).toBe(true);
    expect(await second.evaluate(() => document.getElementById("ews-viewport")!.scrollTop)).toBe(scroll);
    expect(problems).toEqual([]);
  });

  it("greys out in tab 2, marked \"Deleted elsewhere\" and out of the selection, a row tab 1 deleted", async () => {
    const { context, page: first, problems } = await openPage(suite.browser);
    suite.contexts.push(context);
    await first.goto(`${suite.demo.url}${P}`);
    const second = await openTab(context);
    const ids = await second.locator(rows).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-session-id")!));
    await second.locator(`tr[data-session-id="${ids[1]}"] input[type=checkbox]`).check();
    await first.locator(`tr[data-session-id="${ids[1]}"] [data-action=delete]`).click();
    await first.locator("#ews-delete-dialog button[type=submit]").click();
    await first.waitForFunction((id) => document.querySelector(`tr[data-session-id="${id}"]`) === null, ids[1]);
    const gone = second.locator(`tr[data-session-id="${ids[1]}"][data-deleted-elsewhere]`);
    await gone.waitFor();
    expect(await gone.textContent()).toContain("Deleted elsewhere");
    expect(await gone.evaluate((row) => (row as HTMLElement).inert)).toBe(true);
    // It leaves the selection, so a bulk action on the selection does not fail on it.
    expect(await gone.locator("input[type=checkbox]").isChecked()).toBe(false);
    expect(await second.locator(rows).count()).toBe(ids.length);
    expect(await first.locator("[data-deleted-elsewhere]").count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it("moves the Active badge in tab 2 when tab 1 of the same browser resumes another session", async () => {
    const { context, page: first } = await openPage(suite.browser);
    suite.contexts.push(context);
    await first.goto(`${suite.demo.url}${P}`);
    const second = await openTab(context);
    const ids = await second.locator(rows).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-session-id")!));
    await first.locator(`tr[data-session-id="${ids[3]}"] [data-action=resume]`).click();
    await first.waitForURL((url) => !url.pathname.startsWith(P));
    await second.locator(`tr[data-session-id="${ids[3]}"][aria-current=true]`).waitFor();
    expect(await second.locator("tr[aria-current=true]").count()).toBe(1);
  });

  it("shows another process's write (python3 on the file), keeping an open dialog and what it holds", async () => {
    const { context } = await openPage(suite.browser);
    suite.contexts.push(context);
    const page = await openTab(context);
    const ids = await page.locator(rows).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-session-id")!));
    await page.locator(`tr[data-session-id="${ids[1]}"] [data-action=rename]`).click();
    const input = page.locator("#ews-rename-dialog input[name=label]");
    await input.fill("Half typed");
    // Another process (the Python app) renames the first row.
    execFileSync("python3", ["-c", "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute(\"UPDATE workflow_state SET label = 'From Python' WHERE flow_session_key = ?\", (sys.argv[2],))\nc.commit()", suite.demo.databasePath, `${FLOW}:${ids[0]}`]);
    await page.locator(`tr[data-session-id="${ids[0]}"] >> text=From Python`).waitFor();
    expect(await page.locator("#ews-rename-dialog").evaluate((dialog) => (dialog as HTMLDialogElement).open)).toBe(true);
    expect(await input.inputValue()).toBe("Half typed");
  });
  it("gives focus back to the renamed row when a change from elsewhere arrived while the rename was under way", async () => {
    const { context } = await openPage(suite.browser);
    suite.contexts.push(context);
    const page = await openTab(context);
    await page.evaluate(() => {
      const counts = ((window as unknown as { ewsCounts: { change: number; swap: number } }).ewsCounts = { change: 0, swap: 0 });
      document.addEventListener("sse:change", () => counts.change++);
      document.addEventListener("htmx:afterSwap", () => counts.swap++);
    });
    const counts = () => page.evaluate(() => (window as unknown as { ewsCounts: { change: number; swap: number } }).ewsCounts);
    const ids = await page.locator(rows).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-session-id")!));
    // The rename is held in flight until the other change has reached the page.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(`**${P}/rename`, async (route) => {
      await held;
      await route.continue();
    });
    await page.locator(`tr[data-session-id="${ids[0]}"] [data-action=rename]`).click();
    await page.locator("#ews-rename-dialog input[name=label]").fill("Renamed here");
    await page.locator("#ews-rename-dialog input[name=label]").press("Enter");
    execFileSync("python3", ["-c", "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute(\"UPDATE workflow_state SET label = 'From Python' WHERE flow_session_key = ?\", (sys.argv[2],))\nc.commit()", suite.demo.databasePath, `${FLOW}:${ids[1]}`]);
    await page.waitForFunction(() => (window as unknown as { ewsCounts: { change: number; swap: number } }).ewsCounts.change > 0);
    const swaps = (await counts()).swap;
    release();
    // The rename's swap, then the refresh the change asked for, which shows the other row's new label.
    await page.locator(`tr[data-session-id="${ids[0]}"] >> text=Renamed here`).waitFor();
    await page.locator(`tr[data-session-id="${ids[1]}"] >> text=From Python`).waitFor();
    await page.waitForFunction((before) => (window as unknown as { ewsCounts: { change: number; swap: number } }).ewsCounts.swap >= before + 2, swaps);
    await page.waitForFunction(() => !document.querySelector(".htmx-request"));
    expect(await page.evaluate(() => document.activeElement?.closest("tr")?.getAttribute("data-session-id"))).toBe(ids[0]);
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-action"))).toBe("rename");
  });
  it("holds sessions created in tab 1 behind \"1 new session\" in tab 2, scrolled down, until it is clicked", async () => {
    const { context, page: first } = await openPage(suite.browser);
    suite.contexts.push(context);
    await first.goto(`${suite.demo.url}${P}`);
    const second = await openTab(context);
    const before = await second.locator(rows).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-session-id")!));
    const scroll = await second.evaluate(() => {
      const box = document.getElementById("ews-viewport")!;
      box.scrollTop = 60;
      return box.scrollTop;
    });
    expect(scroll).toBeGreaterThan(0);
    await first.locator("[data-action=create]").click();
    const button = second.locator("[data-action=show-new]");
    await button.waitFor({ state: "visible" });
    expect(await button.textContent()).toBe("1 new session");
    expect(await seriousViolations(second)).toEqual([]);
    // Nothing moved in tab 2: the same rows, the same scroll position.
    expect(await second.locator(rows).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-session-id")!))).toEqual(before);
    expect(await second.evaluate(() => document.getElementById("ews-viewport")!.scrollTop)).toBe(scroll);
    const created = (await suite.demo.store.listSessions(FLOW, { orderBy: "created_at", descending: true }))[0]!.sessionId;
    expect(before).not.toContain(created);
    await button.click();
    await second.waitForFunction((id) => document.querySelector(`#ews-list tbody tr[data-session-id="${id}"]`) !== null, created);
    await button.waitFor({ state: "hidden" });
    expect(await second.evaluate(() => document.getElementById("ews-viewport")!.scrollTop)).toBe(0);
    await second.waitForFunction(() => document.activeElement?.closest("tr")?.getAttribute("aria-selected") === "true");
  });
});
