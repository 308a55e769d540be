import { jest } from "@jest/globals";
import type { Browser, BrowserContext } from "playwright-core";
import { launchBrowser, openPage, startDemo } from "./browser-helpers.js";

const P = "/manage/sessions";
const FLOW = "structure_decomposition";
jest.setTimeout(120_000);
let browser: Browser;
let demo: Awaited<ReturnType<typeof startDemo>>;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  demo = await startDemo();
});
afterAll(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
  await demo.stop();
  await browser.close();
});

async function open() {
  const opened = await openPage(browser);
  contexts.push(opened.context);
  await opened.page.goto(`${demo.url}${P}`);
  return opened;
}

describe("two browser contexts renaming the same session", () => {
  it("the first rename wins; the second, from the older list, is refused with what changed and overwrites nothing", async () => {
    const first = await open();
    const second = await open();
    const id = (await first.page.locator("tr[data-session-id]").first().getAttribute("data-session-id"))!;
    const rowIn = (page: typeof first.page) => page.locator(`tr[data-session-id="${id}"]`);

    // Both open the dialog on the list as it was first shown.
    for (const { page } of [first, second]) await rowIn(page).locator("[data-action=rename]").click();
    await first.page.locator("#ews-rename-dialog input[name=label]").fill("Renamed in tab one");
    await first.page.locator("#ews-rename-dialog input[name=label]").press("Enter");
    await rowIn(first.page).locator("text=Renamed in tab one").waitFor();

    await second.page.locator("#ews-rename-dialog input[name=label]").fill("Renamed in tab two");
    await second.page.locator("#ews-rename-dialog input[name=label]").press("Enter");
    const error = second.page.locator("#ews-rename-dialog [data-role=dialog-error] [role=alert]");
    await error.waitFor();
    await expect(error.textContent()).resolves.toContain("This session was renamed to “Renamed in tab one” since the list was shown");
    await expect(second.page.locator("#ews-rename-dialog").evaluate((d) => (d as HTMLDialogElement).open)).resolves.toBe(true);
    expect((await demo.store.getSessionSummary(FLOW, id))?.label).toBe("Renamed in tab one");

    // Reloading shows the change, and a rename from the fresh list goes ahead.
    await second.page.reload();
    await rowIn(second.page).locator("text=Renamed in tab one").waitFor();
    await rowIn(second.page).locator("[data-action=rename]").click();
    await second.page.locator("#ews-rename-dialog input[name=label]").fill("Renamed in tab two");
    await second.page.locator("#ews-rename-dialog input[name=label]").press("Enter");
    await rowIn(second.page).locator("text=Renamed in tab two").waitFor();
    expect((await demo.store.getSessionSummary(FLOW, id))?.label).toBe("Renamed in tab two");
    expect([...first.problems, ...second.problems]).toEqual([]);
  });

  it("Duplicate in a row makes the copy, and the notice's Resume opens it", async () => {
    const { page, problems } = await open();
    const row = page.locator("tr[data-session-id]").first();
    const label = (await row.getAttribute("data-session-label"))!;
    await row.locator("[data-action=duplicate]").focus();
    await page.keyboard.press("Enter");
    const notice = page.locator("#ews-alerts [data-kind=success]");
    await notice.waitFor();
    await expect(notice.textContent()).resolves.toContain(`Created “Copy of ${label}”.`);
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith(P)), notice.locator("button", { hasText: "Resume" }).click()]);
    expect(problems).toEqual([]);
  });
});
