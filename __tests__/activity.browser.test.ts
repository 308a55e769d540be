import { jest } from "@jest/globals";
import { demoInBrowser, openPage, seriousViolations } from "./browser-helpers.js";

const P = "/manage/sessions";
const FLOW = "structure_decomposition";
const stamp = { activity: { requestId: "browser-test" } };

jest.setTimeout(90_000);

const suite = demoInBrowser({ keepSessions: 6 });

const open = (path: string) => suite.open(path);

describe("the activity log in the browser", () => {
  it("reaches a session's history from its row by keyboard, and the log and the history have no serious axe violations", async () => {
    const [first, second] = (await suite.demo.store.listSessions(FLOW)).map((s) => s.sessionId);
    await suite.demo.store.setSessionLabel(FLOW, first!, "Renamed <for> the log", stamp);
    await suite.demo.store.pinSession(FLOW, second!, stamp);
    await suite.demo.store.trashSessions(FLOW, [second!], stamp);
    await suite.demo.store.restoreSessions(FLOW, [second!], stamp);
    const { page, problems } = await open(P);
    // Tab from the row's checkbox reaches its History link (the Updated time) before its actions.
    await page.locator(`tr[data-session-id="${first}"] [data-role=select-row]`).focus();
    let name = "";
    for (let i = 0; i < 5 && !name.includes("history of"); i++) {
      await page.keyboard.press("Tab");
      name = await page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? "");
    }
    expect(name).toContain("history of Renamed <for> the log");
    await Promise.all([page.waitForURL(/\/activity\?session_id=/), page.keyboard.press("Enter")]);
    await page.waitForSelector("#ews-activity");
    expect(await page.locator("h1").textContent()).toContain("History of Renamed <for> the log");
    expect(await page.locator("#ews-activity tbody tr").count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole("link", { name: "All activity" }).click();
    await page.waitForURL(new RegExp(`${P}/activity$`));
    expect(await page.locator("#ews-activity tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-action-name")))).toEqual(["restore", "delete", "pin", "rename"]);
    expect(await seriousViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("has no serious axe violations when empty, in the dark theme", async () => {
    const opened = await openPage(suite.browser, { colorScheme: "dark" });
    suite.contexts.push(opened.context);
    await opened.page.goto(`${suite.demo.url}${P}/activity`);
    await opened.page.waitForSelector("[data-role=activity-empty]");
    expect(await seriousViolations(opened.page)).toEqual([]);
  });
});
