import { jest } from "@jest/globals";
import type { Page } from "playwright-core";
import { demoInBrowser, openPage, seriousViolations } from "./browser-helpers.js";

const P = "/manage/sessions";
const FLOW = "structure_decomposition";
const pinned = "[data-role=pinned] [data-pinned-id]";

jest.setTimeout(90_000);

const suite = demoInBrowser({ keepSessions: 6 });

const open = () => suite.open(P);

/** The ids of the Pinned section, in the order it shows them. */
function pinnedIds(page: Page) {
  return page.locator(pinned).evaluateAll((items) => items.map((item) => item.getAttribute("data-pinned-id")));
}

/** Presses Tab until the element `selector` has the focus (at most `limit` times); fails when it never does. */
async function tabTo(page: Page, selector: string, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

describe("pins in Chromium", () => {
  it("pins by keyboard and unpins by mouse, the buttons named after the session", async () => {
    const { page, problems } = await open();
    const [first, second] = (await suite.demo.store.listSessions(FLOW, { orderBy: "updated_at", descending: true })).map((s) => s.sessionId);
    const label = await page.locator(`tr[data-session-id="${second}"]`).getAttribute("data-session-label");
    // By keyboard: Tab to the second row's Pin, then Enter.
    await tabTo(page, `tr[data-session-id="${second}"] [data-action=pin]`);
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe(`Pin ${label}`);
    await page.keyboard.press("Enter");
    await page.waitForSelector(`[data-pinned-id="${second}"]`);
    // By mouse: the first row's Pin puts it after the second.
    await page.locator(`tr[data-session-id="${first}"] [data-action=pin]`).click();
    await page.waitForFunction((id) => document.querySelectorAll("[data-role=pinned] [data-pinned-id]")[1]?.getAttribute("data-pinned-id") === id, first);
    expect(await pinnedIds(page)).toEqual([second, first]);
    expect(await page.locator(`tr[data-session-id="${second}"] [data-action=unpin]`).getAttribute("aria-label")).toBe(`Unpin ${label}`);
    // Unpin from the Pinned section by mouse, then from the row by keyboard.
    await page.locator(`[data-pinned-id="${second}"] [data-action=unpin]`).click();
    await page.waitForFunction((id) => document.querySelector(`[data-pinned-id="${id}"]`) === null, second);
    expect(await pinnedIds(page)).toEqual([first]);
    await tabTo(page, `tr[data-session-id="${first}"] [data-action=unpin]`);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("[data-role=pinned]") === null);
    expect(await suite.demo.store.listPins(FLOW)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("finds no serious or critical axe violations on a page with a Pinned section", async () => {
    const ids = (await suite.demo.store.listSessions(FLOW)).map((s) => s.sessionId);
    for (const id of ids.slice(0, 2)) await suite.demo.store.pinSession(FLOW, id);
    const { page } = await open();
    await page.waitForSelector("[data-role=pinned]");
    // The labels are shown, not squeezed to nothing beside the buttons.
    for (const box of await page.locator(`${pinned} span[title]`).evaluateAll((spans) => spans.map((span) => span.getBoundingClientRect().width))) expect(box).toBeGreaterThan(40);
    expect(await seriousViolations(page)).toEqual([]);
  });
});
