import { jest } from "@jest/globals";
import type { Browser, Page } from "playwright-core";
import type { BrowserContext, BrowserContextOptions } from "playwright-core";
import { animationsDone, iconContrasts, launchBrowser, openPage, screenshot, seriousViolations, startDemo } from "./browser-helpers.js";

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
  // Contexts left open keep their pages running: on a loaded machine they slow every later test down.
  await Promise.all(contexts.splice(0).map((context) => context.close()));
  await demo.stop();
});

const contexts: BrowserContext[] = [];
/** A page in a fresh context (its own cookies) of the one shared browser, closed after the test. */
async function open(options: BrowserContextOptions = {}) {
  const opened = await openPage(browser, options);
  contexts.push(opened.context);
  return opened;
}

const rows = "tr[data-session-id]";
const count = "[data-role=count]";

describe("the session manager in a browser", () => {
  it("creates a session with New Session, which becomes the active, first row", async () => {
    const { page, problems } = await open();
    await page.goto(`${demo.url}${P}`);
    await expect(page.textContent(count)).resolves.toContain("24 sessions");
    await page.click("[data-action=create]");
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("25 sessions"), count);
    // The three new sessions share one second of updated_at, so which comes first is not fixed: find the active one.
    await expect(page.locator(`${rows}[aria-current=true]`).textContent()).resolves.toContain("Active");
    await expect(page.textContent("#ews-alerts")).resolves.toContain("Created");
    await screenshot(page, "light");
    expect(problems).toEqual([]);
  });

  it("renames through the dialog: Enter saves, Escape cancels, and focus returns to the row", async () => {
    const { page, problems } = await open();
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
    // The dialog gives focus back as its close event runs, after the swap; a live refresh that follows keeps it there.
    await page.waitForFunction((sid) => (document.activeElement?.closest("tr") as HTMLElement | null)?.dataset.sessionId === sid, id);

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
    const { page } = await open();
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
    const { page, problems } = await open();
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
    const { page, problems } = await open();
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
    const { page, problems } = await open();
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
    const { page, problems } = await open();
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
      const { page, problems } = await open({ javaScriptEnabled: false });
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
      const { page, problems } = await open({ javaScriptEnabled: false });
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
      const { page } = await open({ javaScriptEnabled: false });
      const id = "9094a0bf-9157-456c-aabd-e5c7cc690a73";
      await page.goto(`${demo.url}${P}?delete=${id}`);
      await page.click("#ews-delete-dialog a[data-action=close-dialog]");
      await page.waitForURL(`${demo.url}${P}`);
      expect(await demo.store.sessionExists("structure_decomposition", id)).toBe(true);
    });
  });

  it("opens a dialog linked with ?rename= as a modal when JavaScript runs", async () => {
    const { page } = await open();
    await page.goto(`${demo.url}${P}?rename=9094a0bf-9157-456c-aabd-e5c7cc690a73`);
    await page.waitForFunction(() => (document.getElementById("ews-rename-dialog") as HTMLDialogElement).open);
    await expect(page.locator("#ews-rename-dialog input[name=label]").inputValue()).resolves.toBe("Lecture batch 0");
    await expect(page.evaluate(() => document.activeElement?.getAttribute("name"))).resolves.toBe("label");
  });

  describe("screenshots", () => {
    it("saves dark, phone and empty-state screenshots", async () => {
      const dark = await open({ colorScheme: "dark" });
      await dark.page.goto(`${demo.url}${P}`);
      await screenshot(dark.page, "dark");
      const phone = await open({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await phone.page.goto(`${demo.url}${P}`);
      await screenshot(phone.page, "phone");
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      for (const s of await demo.store.listSessions("structure_decomposition")) await demo.store.deleteSession("structure_decomposition", s.sessionId);
      const empty = await open();
      await empty.page.goto(`${demo.url}${P}`);
      await expect(empty.page.textContent("[data-role=empty]")).resolves.toContain("No sessions yet");
      await screenshot(empty.page, "empty");
    });
  });
});

describe("accessibility (axe-core)", () => {
  // One scan per state: the page, then each open dialog alone (the page behind a modal is inert and unchanged).
  it.each(["light", "dark"] as const)("finds no serious or critical violations on the page and in both dialogs (%s)", async (colorScheme) => {
    // Rows repeat one template: six of them (steps, no step, the cursor) are as telling as 24, for a quarter of the
    // scan, which is what keeps it well inside its timeout on a loaded machine.
    const sessions = await demo.store.listSessions("structure_decomposition");
    for (const s of sessions.slice(6)) await demo.store.deleteSession("structure_decomposition", s.sessionId);
    const { page } = await open({ colorScheme });
    await page.goto(`${demo.url}${P}`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator(rows).first().locator("[data-action=rename]").click();
    expect(await seriousViolations(page, "#ews-rename-dialog")).toEqual([]);
    await page.keyboard.press("Escape");
    await page.locator(rows).first().locator("[data-action=delete]").click();
    expect(await seriousViolations(page, "#ews-delete-dialog")).toEqual([]);
  });

  it("finds no serious or critical violations in the empty state", async () => {
    for (const s of await demo.store.listSessions("structure_decomposition")) await demo.store.deleteSession("structure_decomposition", s.sessionId);
    const { page } = await open();
    await page.goto(`${demo.url}${P}`);
    expect(await seriousViolations(page)).toEqual([]);
  });
});

describe("feedback", () => {
  it("toggles the theme against the system's and remembers it", async () => {
    const { page } = await open({ colorScheme: "dark" });
    await page.goto(`${demo.url}${P}`);
    await page.click("[data-action=toggle-theme]");
    await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe("light");
    await page.reload();
    await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe("light");
  });

  it("disables New Session while its request is in flight, so a double click creates one session", async () => {
    const { page } = await open();
    await page.goto(`${demo.url}${P}`);
    // The request is held until the button has been seen disabled, then released: no timing involved.
    let requests = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/create", async (route) => {
      requests += 1;
      await released;
      await route.continue();
    });
    const button = page.locator("[data-action=create]");
    await button.dblclick();
    await page.waitForFunction(() => (document.querySelector("[data-action=create]") as HTMLButtonElement).disabled);
    await page.waitForFunction(() => getComputedStyle(document.querySelector("#ews-indicator")!).opacity !== "0");
    release();
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("25 sessions"), count);
    await page.waitForFunction(() => !(document.querySelector("[data-action=create]") as HTMLButtonElement).disabled);
    expect(requests).toBe(1);
    expect(await demo.store.countSessions("structure_decomposition")).toBe(25);
  });
});

describe("long labels", () => {
  // 200 characters, the most a label may hold: one with words, one without a place to break.
  const LONG = "Lecture recording of the whole autumn term, with every seminar, every question from the audience and the notes of all the guest speakers who came to talk about structure decomposition and more".padEnd(200, " and more").slice(0, 200);
  const UNBROKEN = "x".repeat(200);

  it.each([
    ["1280", { viewport: { width: 1280, height: 900 } }],
    ["1024", { viewport: { width: 1024, height: 768 } }],
    ["390", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
  ] as const)("fit the table at %s px: no sideways scroll, every row's actions on screen, the full label in title and names", async (width, options) => {
    expect(LONG).toHaveLength(200);
    await demo.store.createSession("structure_decomposition", { label: LONG });
    await demo.store.createSession("structure_decomposition", { label: UNBROKEN });
    const { page, problems } = await open(options);
    await page.goto(`${demo.url}${P}`);
    await page.click("[data-action=create]"); // a new session with the Active badge, as a visitor makes one
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("27 sessions"), count);

    const layout = () =>
      page.evaluate(() => {
        const box = document.getElementById("ews-viewport")!;
        const offScreen = Array.from(document.querySelectorAll("#ews-list tr[data-session-id] [data-action]"))
          .map((button) => ({ button, rect: button.getBoundingClientRect() }))
          .filter(({ rect }) => rect.left < 0 || rect.right > window.innerWidth)
          .map(({ button }) => button.getAttribute("aria-label"));
        return {
          overflow: box.scrollWidth - box.clientWidth,
          pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
          scrollLeft: box.scrollLeft + window.scrollX,
          offScreen,
        };
      });
    expect(await layout()).toEqual({ overflow: 0, pageOverflow: 0, scrollLeft: 0, offScreen: [] });

    for (const label of [LONG, UNBROKEN]) {
      const row = page.locator(`${rows}[data-session-label="${label}"]`);
      const text = row.locator("th span[title]");
      await expect(text.textContent()).resolves.toBe(label);
      await expect(text.getAttribute("title")).resolves.toBe(label);
      await expect(text.evaluate((span) => span.scrollWidth > span.clientWidth)).resolves.toBe(true); // cut by CSS
      await expect(row.locator("[data-action=resume]").getAttribute("aria-label")).resolves.toBe(`Resume ${label}`);
    }
    // The three new sessions share one second of updated_at, so which comes first is not fixed: find the active one.
    await expect(page.locator(`${rows}[aria-current=true]`).textContent()).resolves.toContain("Active");

    for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowDown");
    await page.waitForFunction(() => document.querySelector('#ews-list tr[aria-selected="true"]')?.getAttribute("aria-rowindex") === "7");
    expect((await layout()).scrollLeft).toBe(0);
    if (width !== "1024") await screenshot(page, `long-labels-${width}`);
    expect(problems).toEqual([]);
  });
});

describe("contrast of the icons (computed, since axe leaves oklch colours incomplete)", () => {
  it.each(["light", "dark"] as const)("gives every icon 3:1 against its row, the cursor's and the active one included (%s)", async (colorScheme) => {
    const { page } = await open({ colorScheme });
    await page.goto(`${demo.url}${P}`);
    await page.click("[data-action=create]");
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("25 sessions"), count);
    await page.evaluate(() => document.querySelectorAll(".ews-notice").forEach((notice) => notice.remove()));
    await page.keyboard.press("ArrowDown"); // the cursor on row 2, the active session on row 1
    await page.mouse.move(0, 0);
    await animationsDone(page);
    const contrasts = await iconContrasts(page);
    const where = contrasts.map((icon) => icon.where);
    expect(where).toEqual(expect.arrayContaining(["cursor row delete", "active row delete", "row delete", "cursor row resume", "row rename"]));
    expect(contrasts.filter((icon) => icon.ratio < 3)).toEqual([]);
  });
});

describe("without JavaScript or a keyboard", () => {
  it("shows an action's notice once after its 303, and neither the shortcuts nor the theme toggle", async () => {
    const { page, problems } = await open({ javaScriptEnabled: false });
    await page.goto(`${demo.url}${P}`);
    await expect(page.locator("[data-role=shortcuts]").isVisible()).resolves.toBe(false);
    await expect(page.locator("[data-action=toggle-theme]").isVisible()).resolves.toBe(false);
    await page.click("[data-action=create]");
    await page.waitForURL(`${demo.url}${P}`);
    await expect(page.textContent("#ews-alerts [data-kind=success]")).resolves.toMatch(/Created “Session .+”\./);
    await page.reload();
    await expect(page.locator("#ews-alerts [data-kind=success]").count()).resolves.toBe(0);
    expect(problems).toEqual([]);
  });

  it("shows the shortcuts and the theme toggle when the script runs, and hides the shortcuts on a touch screen", async () => {
    const desktop = await open();
    await desktop.page.goto(`${demo.url}${P}`);
    await desktop.page.locator("[data-role=shortcuts]").waitFor({ state: "visible" });
    await desktop.page.locator("[data-action=toggle-theme]").waitFor({ state: "visible" });
    const phone = await open({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await phone.page.goto(`${demo.url}${P}`);
    await phone.page.locator("[data-action=toggle-theme]").waitFor({ state: "visible" });
    await expect(phone.page.locator("[data-role=shortcuts]").isVisible()).resolves.toBe(false);
  });
});
