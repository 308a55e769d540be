import { jest } from "@jest/globals";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser, openPage, seriousViolations, startDemo } from "./browser-helpers.js";

const P = "/manage/sessions";
const FLOW = "structure_decomposition";

jest.setTimeout(90_000);

let browser: Browser;
let demo: Awaited<ReturnType<typeof startDemo>>;
const contexts: BrowserContext[] = [];
let ids: string[];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser.close();
});

beforeEach(async () => {
  demo = await startDemo();
  for (const s of (await demo.store.listSessions(FLOW)).slice(6)) await demo.store.deleteSession(FLOW, s.sessionId);
  ids = (await demo.store.listSessions(FLOW, { orderBy: "updated_at", descending: true })).map((s) => s.sessionId);
  await demo.store.setTags(FLOW, ids[0]!, ["red", "round"]);
  await demo.store.setTags(FLOW, ids[1]!, ["red"]);
  await demo.store.setTags(FLOW, ids[2]!, ["round"]);
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
  await demo.stop();
});

async function open(query = "") {
  const opened = await openPage(browser);
  contexts.push(opened.context);
  await opened.page.goto(`${demo.url}${P}${query}`);
  return opened;
}

/** The ids of the rows shown, in order. */
function rows(page: Page) {
  return page.locator("#ews-list tbody tr[data-session-id]").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-session-id")));
}

/** Presses Tab until the element `selector` has the focus (at most `limit` times); fails when it never does. */
async function tabTo(page: Page, selector: string, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

describe("the tag filter in Chromium", () => {
  it("filters by keyboard and by mouse, keeps the filter through a search and a sort, and puts it in the address", async () => {
    const { page, problems } = await open();
    await page.waitForSelector("[data-role=tag-filter]");
    // By keyboard: Tab to the "red" chip, then Enter.
    await tabTo(page, `[data-tag-filter="red"]`);
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Filter by tag red (2 sessions)");
    await page.keyboard.press("Enter");
    await page.waitForSelector(`[data-tag-filter="red"][aria-current="true"]`);
    expect(await rows(page)).toEqual([ids[0], ids[1]]);
    expect(new URL(page.url()).searchParams.getAll("tag")).toEqual(["red"]);
    // By mouse: "round" too, so only the session with both stays.
    await page.locator(`[data-tag-filter="round"]`).click();
    await page.waitForSelector(`[data-tag-filter="round"][aria-current="true"]`);
    expect(await rows(page)).toEqual([ids[0]]);
    // A search keeps the filter; a sort too.
    await page.locator("[data-role=search]").fill("zzz-none");
    await page.waitForSelector("[data-role=no-matches]");
    expect(new URL(page.url()).searchParams.getAll("tag")).toEqual(["red", "round"]);
    await page.locator("[data-role=search]").fill("");
    await page.waitForFunction(() => document.querySelectorAll("#ews-list tbody tr[data-session-id]").length === 1);
    await page.locator("a.ews-sort[data-sort=label]").click();
    await page.waitForFunction(() => document.querySelector("#ews-list")?.getAttribute("data-sort") === "label");
    expect(await rows(page)).toEqual([ids[0]]);
    // Taking both out shows every session again.
    await page.locator(`[data-tag-filter="red"]`).click();
    await page.waitForSelector(`[data-tag-filter="red"][aria-current="false"]`);
    await page.locator(`[data-tag-filter="round"]`).click();
    await page.waitForFunction(() => document.querySelectorAll("#ews-list tbody tr[data-session-id]").length === 6);
    expect(problems).toEqual([]);
  });

  it("finds no serious or critical axe violations on a page with tag badges and an active tag filter", async () => {
    const { page } = await open("?tag=red");
    await page.waitForSelector(`[data-tag-filter="red"][aria-current="true"]`);
    await page.waitForSelector("[data-role=tags] [data-tag]");
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("edits a session's tags in the rename dialog as chips, by keyboard and by mouse, with completion from the owner's tags", async () => {
    const { page, problems } = await open("?tag=red");
    const row = `tr[data-session-id="${ids[0]}"]`;
    await page.locator(`${row} [data-action=rename]`).click();
    const dialog = page.locator("#ews-rename-dialog");
    await dialog.locator("[data-role=tag-chips] [data-chip=red]").waitFor();
    expect(await dialog.locator("[data-role=tag-chips] [data-chip]").evaluateAll((chips) => chips.map((chip) => chip.getAttribute("data-chip")))).toEqual(["red", "round"]);
    expect(await page.locator("#ews-tag-options option").evaluateAll((options) => options.map((option) => option.getAttribute("value")))).toEqual(["red", "round"]);
    // By keyboard: type a tag and Enter, then two more with commas; Tab to a chip's remove button and press it.
    const input = dialog.locator("[data-role=tag-input]");
    await input.focus();
    await page.keyboard.type("Blue");
    await page.keyboard.press("Enter");
    await page.keyboard.type("green, big data,");
    expect(await dialog.locator("[data-role=tag-chips] [data-chip]").evaluateAll((chips) => chips.map((chip) => chip.getAttribute("data-chip")))).toEqual(["red", "round", "blue", "green", "big data"]);
    await dialog.locator('[data-chip=round] [data-action=remove-tag]').focus();
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Remove tag round");
    await page.keyboard.press("Enter");
    // By mouse: remove "green".
    await dialog.locator('[data-chip=green] [data-action=remove-tag]').click();
    expect(await dialog.locator("[data-role=tag-chips] [data-chip]").evaluateAll((chips) => chips.map((chip) => chip.getAttribute("data-chip")))).toEqual(["red", "blue", "big data"]);
    expect(await seriousViolations(page, "#ews-rename-dialog")).toEqual([]);
    await dialog.locator("button[type=submit]").click();
    await page.waitForFunction((sel) => document.querySelectorAll(`${sel} [data-tag]`).length === 3, row);
    expect(await demo.store.getTags(FLOW, [ids[0]!])).toEqual(new Map([[ids[0]!, ["big data", "blue", "red"]]]));
    // The list came back with its filter: only the "red" sessions.
    expect(await rows(page)).toEqual([ids[0], ids[1]]);
    expect(problems).toEqual([]);
  });
});
