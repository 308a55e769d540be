import { jest } from "@jest/globals";
import { AxeBuilder } from "@axe-core/playwright";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, openPage, screenshot, startDemo } from "./browser-helpers.js";

const P = "/manage/sessions";
jest.setTimeout(90_000);
let browser: Browser;
let demo: Awaited<ReturnType<typeof startDemo>>;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
beforeEach(async () => {
  demo = await startDemo();
});
afterEach(async () => {
  await demo.stop();
});

const rows = "tr[data-session-id]";
const count = "[data-role=count]";

describe("the session manager in a browser", () => {
  it("creates a session with New Session, which becomes the active, first row", async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${demo.url}${P}`);
    await expect(page.textContent(count)).resolves.toContain("24 sessions");
    await page.click("[data-action=create]");
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("25 sessions"), count);
    await expect(page.locator(rows).first().textContent()).resolves.toContain("Active");
    await expect(page.textContent("#ews-alerts")).resolves.toContain("Created");
    await screenshot(page, "light");
    expect(problems).toEqual([]);
  });

  it("renames through the dialog: Enter saves, Escape cancels, and focus returns to the row", async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${demo.url}${P}`);
    const first = page.locator(rows).first();
    const id = await first.getAttribute("data-session-id");
    await first.locator("[data-action=rename]").click();
    const input = page.locator("#ews-rename-dialog input[name=label]");
    await expect(input.inputValue()).resolves.toBe("Lecture batch 0");
    await input.fill("Renamed in the browser");
    await input.press("Enter");
    const row = page.locator(`tr[data-session-id="${id}"]`);
    await row.locator("text=Renamed in the browser").waitFor();
    await expect(page.textContent("#ews-alerts")).resolves.toContain("Renamed to “Renamed in the browser”.");
    await expect(page.evaluate((sid) => document.activeElement?.closest("tr")?.dataset.sessionId, id)).resolves.toBe(id);

    await row.locator("[data-action=rename]").click();
    await input.fill("Never saved");
    await input.press("Escape");
    await expect(page.locator("#ews-rename-dialog").evaluate((d) => (d as HTMLDialogElement).open)).resolves.toBe(false);
    await expect(row.getAttribute("data-session-label")).resolves.toBe("Renamed in the browser");
    await expect(page.evaluate(() => document.activeElement?.getAttribute("data-action"))).resolves.toBe("rename");
    expect((await demo.store.getSessionSummary("structure_decomposition", id!))?.label).toBe("Renamed in the browser");
    expect(problems).toEqual([]);
  });

  it("keeps the rename dialog open with the server's message when the label is rejected", async () => {
    const { page } = await openPage(browser);
    await page.goto(`${demo.url}${P}`);
    await page.locator(rows).first().locator("[data-action=rename]").click();
    const input = page.locator("#ews-rename-dialog input[name=label]");
    await input.evaluate((el) => el.removeAttribute("maxlength"));
    await input.fill("x".repeat(250));
    await input.press("Enter");
    await page.locator("#ews-rename-dialog [data-role=dialog-error] [role=alert]").waitFor();
    await expect(page.textContent("#ews-rename-dialog [data-role=dialog-error]")).resolves.toContain("at most 200 characters");
    await expect(page.locator("#ews-rename-dialog").evaluate((d) => (d as HTMLDialogElement).open)).resolves.toBe(true);
  });

  it("deletes through a confirmation that names the session", async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${demo.url}${P}`);
    const second = page.locator(rows).nth(1);
    const id = await second.getAttribute("data-session-id");
    const label = await second.getAttribute("data-session-label");
    await second.locator("[data-action=delete]").click();
    await expect(page.textContent("#ews-delete-dialog [data-role=delete-name]")).resolves.toBe(label);
    await page.click("#ews-delete-dialog button[type=submit]");
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("23 sessions"), count);
    await expect(page.locator(`tr[data-session-id="${id}"]`).count()).resolves.toBe(0);
    expect(await demo.store.sessionExists("structure_decomposition", id!)).toBe(false);
    expect(problems).toEqual([]);
  });

  it("resumes a session onto /workflow, which shows it", async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${demo.url}${P}`);
    const third = page.locator(rows).nth(2);
    const label = await third.getAttribute("data-session-label");
    await third.locator("[data-action=resume]").click();
    await page.waitForURL(`${demo.url}/workflow`);
    await expect(page.textContent("[data-testid=active-label]")).resolves.toBe(label);
    await page.goto(`${demo.url}${P}`);
    await expect(page.locator(`${rows}[data-session-label="${label}"]`).first().textContent()).resolves.toContain("Active");
    expect(problems).toEqual([]);
  });

  it("shows a hostile label as text and runs nothing", async () => {
    const hostile = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>"'\\`;
    const id = await demo.store.createSession("structure_decomposition", { label: hostile });
    const { page, problems } = await openPage(browser);
    await page.goto(`${demo.url}${P}`);
    const row = page.locator(`tr[data-session-id="${id}"]`);
    await expect(row.locator("th span").first().textContent()).resolves.toBe(hostile);
    await row.locator("[data-action=delete]").click();
    await expect(page.textContent("#ews-delete-dialog [data-role=delete-name]")).resolves.toBe(hostile);
    await page.keyboard.press("Escape");
    await row.locator("[data-action=rename]").click();
    await expect(page.locator("#ews-rename-dialog input[name=label]").inputValue()).resolves.toBe(hostile);
    await expect(page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).resolves.toBeUndefined();
    await expect(page.locator("img[src=x]").count()).resolves.toBe(0);
    expect(problems).toEqual([]);
  });

  it("does a whole run by keyboard only: create, rename, delete, then resume", async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${demo.url}${P}`);
    await page.keyboard.press("n");
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("25 sessions"), count);
    await page.keyboard.press("Home");
    await page.keyboard.press("F2");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("Typed by keyboard");
    await page.keyboard.press("Enter");
    await page.locator(`${rows}[data-session-label="Typed by keyboard"]`).waitFor();
    await page.keyboard.press("ArrowDown");
    const doomed = await page.locator(`${rows}[aria-selected=true]`).getAttribute("data-session-id");
    await page.keyboard.press("Delete");
    await page.locator("#ews-delete-dialog[open]").waitFor();
    await page.keyboard.press("Tab"); // from Cancel to Delete
    await page.keyboard.press("Enter");
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("24 sessions"), count);
    expect(await demo.store.sessionExists("structure_decomposition", doomed!)).toBe(false);
    await page.keyboard.press("Home");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${demo.url}/workflow`);
    await expect(page.textContent("[data-testid=active-label]")).resolves.toBe("Typed by keyboard");
    expect(problems).toEqual([]);
  });

  describe("without JavaScript", () => {
    it("creates, renames, deletes and resumes with plain forms (POST, then 303)", async () => {
      const { page, problems } = await openPage(browser, { javaScriptEnabled: false });
      await page.goto(`${demo.url}${P}`);
      await page.click("[data-action=create]");
      await page.waitForURL(`${demo.url}${P}`);
      await expect(page.textContent(count)).resolves.toContain("25 sessions");

      const first = page.locator(rows).first();
      const id = await first.getAttribute("data-session-id");
      await first.locator("[data-action=rename]").click();
      await page.waitForURL(`${demo.url}${P}?rename=${id}`);
      await page.fill("#ews-rename-dialog input[name=label]", "Renamed without JavaScript");
      await page.click("#ews-rename-dialog button[type=submit]");
      await page.waitForURL(`${demo.url}${P}`);
      await expect(page.locator(`tr[data-session-id="${id}"]`).getAttribute("data-session-label")).resolves.toBe("Renamed without JavaScript");

      const second = page.locator(rows).nth(1);
      const victim = await second.getAttribute("data-session-id");
      const victimLabel = await second.getAttribute("data-session-label");
      await second.locator("[data-action=delete]").click();
      await expect(page.textContent("#ews-delete-dialog [data-role=delete-name]")).resolves.toBe(victimLabel);
      await page.click("#ews-delete-dialog button[type=submit]");
      await page.waitForURL(`${demo.url}${P}`);
      await expect(page.textContent(count)).resolves.toContain("24 sessions");
      expect(await demo.store.sessionExists("structure_decomposition", victim!)).toBe(false);

      const label = await page.locator(rows).nth(3).getAttribute("data-session-label");
      await page.locator(rows).nth(3).locator("[data-action=resume]").click();
      await page.waitForURL(`${demo.url}/workflow`);
      await expect(page.textContent("[data-testid=active-label]")).resolves.toBe(label);
      expect(problems).toEqual([]);
    });

    it("comes back to the list's order and window after Rename, Delete and Cancel", async () => {
      const { page, problems } = await openPage(browser, { javaScriptEnabled: false });
      const listed = `${demo.url}${P}?sort=label&dir=asc&offset=5`;
      await page.goto(listed);
      const range = await page.textContent("[data-role=range]");
      const first = page.locator(rows).first();
      const id = await first.getAttribute("data-session-id");
      await first.locator("[data-action=rename]").click();
      await page.waitForURL(`${listed}&rename=${id}`);
      await page.fill("#ews-rename-dialog input[name=label]", "Lecture renamed without JavaScript");
      await page.click("#ews-rename-dialog button[type=submit]");
      await page.waitForURL(listed);
      await expect(page.textContent("[data-role=range]")).resolves.toBe(range);

      await page.locator(rows).first().locator("[data-action=delete]").click();
      await page.click("#ews-delete-dialog a[data-action=close-dialog]");
      await page.waitForURL(listed);
      await page.locator(rows).first().locator("[data-action=delete]").click();
      await page.click("#ews-delete-dialog button[type=submit]");
      await page.waitForURL(listed);
      expect(problems).toEqual([]);
    });

    it("cancels a dialog with its Cancel link", async () => {
      const { page } = await openPage(browser, { javaScriptEnabled: false });
      const id = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
      await page.goto(`${demo.url}${P}?delete=${id}`);
      await page.click("#ews-delete-dialog a[data-action=close-dialog]");
      await page.waitForURL(`${demo.url}${P}`);
      expect(await demo.store.sessionExists("structure_decomposition", id)).toBe(true);
    });
  });

  it("opens a dialog linked with ?rename= as a modal when JavaScript runs", async () => {
    const { page } = await openPage(browser);
    await page.goto(`${demo.url}${P}?rename=9094a0bf-9157-456c-aabd-e5c7cc690a73`);
    await page.waitForFunction(() => (document.getElementById("ews-rename-dialog") as HTMLDialogElement).open);
    await expect(page.locator("#ews-rename-dialog input[name=label]").inputValue()).resolves.toBe("Lecture batch 0");
    await expect(page.evaluate(() => document.activeElement?.getAttribute("name"))).resolves.toBe("label");
  });

  describe("screenshots", () => {
    it("saves dark, phone and empty-state screenshots", async () => {
      const dark = await openPage(browser, { colorScheme: "dark" });
      await dark.page.goto(`${demo.url}${P}`);
      await screenshot(dark.page, "dark");
      const phone = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await phone.page.goto(`${demo.url}${P}`);
      await screenshot(phone.page, "phone");
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      for (const s of await demo.store.listSessions("structure_decomposition")) await demo.store.deleteSession("structure_decomposition", s.sessionId);
      const empty = await openPage(browser);
      await empty.page.goto(`${demo.url}${P}`);
      await expect(empty.page.textContent("[data-role=empty]")).resolves.toContain("No sessions yet");
      await screenshot(empty.page, "empty");
    });
  });
});

describe("accessibility (axe-core)", () => {
  async function seriousViolations(page: Page) {
    await page.waitForTimeout(400); // let the dialog's opening animation end, so colours are measured at rest
    const results = await new AxeBuilder({ page }).analyze();
    return results.violations
      .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
      .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(" ")).slice(0, 3).join(", ")}`);
  }

  it.each(["light", "dark"] as const)("finds no serious or critical violations on the page and in both dialogs (%s)", async (colorScheme) => {
    const { page } = await openPage(browser, { colorScheme });
    await page.goto(`${demo.url}${P}`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator(rows).first().locator("[data-action=rename]").click();
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press("Escape");
    await page.locator(rows).first().locator("[data-action=delete]").click();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("finds no serious or critical violations in the empty state", async () => {
    for (const s of await demo.store.listSessions("structure_decomposition")) await demo.store.deleteSession("structure_decomposition", s.sessionId);
    const { page } = await openPage(browser);
    await page.goto(`${demo.url}${P}`);
    expect(await seriousViolations(page)).toEqual([]);
  });
});

describe("feedback", () => {
  it("toggles the theme against the system's and remembers it", async () => {
    const { page } = await openPage(browser, { colorScheme: "dark" });
    await page.goto(`${demo.url}${P}`);
    await page.click("[data-action=toggle-theme]");
    await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe("light");
    await page.reload();
    await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe("light");
  });

  it("disables New Session while its request is in flight, so a double click creates one session", async () => {
    const { page } = await openPage(browser);
    await page.goto(`${demo.url}${P}`);
    await page.route("**/create", async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await route.continue();
    });
    const button = page.locator("[data-action=create]");
    await button.dblclick();
    await expect(button.isDisabled()).resolves.toBe(true);
    await page.waitForFunction(() => getComputedStyle(document.querySelector("#ews-indicator")!).opacity !== "0");
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("25 sessions"), count);
    await page.waitForTimeout(500);
    expect(await demo.store.countSessions("structure_decomposition")).toBe(25);
  });
});
