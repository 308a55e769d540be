import { jest } from "@jest/globals";
import type { Page } from "playwright-core";
import { demoInBrowser, openPage, seriousViolations } from "./browser-helpers.js";

const P = "/manage/sessions";
const FLOW = "structure_decomposition";

jest.setTimeout(90_000);

let ids: string[];
const suite = demoInBrowser({
  keepSessions: 6,
  async seed({ store }) {
    ids = (await store.listSessions(FLOW, { orderBy: "updated_at", descending: true })).map((s) => s.sessionId);
    await store.setTags(FLOW, ids[0]!, ["red", "round"]);
    await store.setTags(FLOW, ids[1]!, ["red"]);
    await store.setTags(FLOW, ids[2]!, ["round"]);
  },
});

const open = (query = "") => suite.open(`${P}${query}`);

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
    expect(await suite.demo.store.getTags(FLOW, [ids[0]!])).toEqual(new Map([[ids[0]!, ["big data", "blue", "red"]]]));
    // The list came back with its filter: only the "red" sessions.
    expect(await rows(page)).toEqual([ids[0], ids[1]]);
    expect(problems).toEqual([]);
  });
  it("adds a tag to the selected sessions and removes it again through the bulk bar's Tag…, with the keyboard", async () => {
    const { page, problems } = await open();
    const badges = (id: string) => page.locator(`tr[data-session-id="${id}"] [data-tag]`).evaluateAll((els) => els.map((el) => el.getAttribute("data-tag")));
    for (const id of [ids[2]!, ids[3]!]) await page.locator(`tr[data-session-id="${id}"] input[type=checkbox]`).check();
    await page.locator("#ews-bulk-bar [data-action=bulk-tag]").click();
    const dialog = page.locator("#ews-tag-dialog[open]");
    await dialog.waitFor();
    expect(await dialog.locator("[data-role=tag-question]").textContent()).toBe("Add or remove a tag on 2 sessions");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("name");
    expect(await seriousViolations(page, "#ews-tag-dialog")).toEqual([]);
    await page.keyboard.type("Red");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("#ews-tag-dialog[open]") === null);
    await page.waitForFunction((id) => document.querySelector(`tr[data-session-id="${id}"] [data-tag="red"]`) !== null, ids[3]!);
    expect([await badges(ids[2]!), await badges(ids[3]!)]).toEqual([["red", "round"], ["red"]]);
    expect(await page.textContent("#ews-alerts")).toContain("Added the tag “red” to 2 sessions.");
    // Focus went back to Tag…, and the selection is kept for another change.
    await page.waitForFunction(() => document.activeElement?.getAttribute("data-action") === "bulk-tag");
    await page.keyboard.press("Enter");
    await dialog.waitFor();
    await page.keyboard.type("red");
    await dialog.locator("button", { hasText: "Remove tag" }).click();
    await page.waitForFunction((id) => document.querySelector(`tr[data-session-id="${id}"] [data-tag="red"]`) === null, ids[3]!);
    expect([await badges(ids[2]!), await badges(ids[3]!)]).toEqual([["round"], []]);
    expect(await suite.demo.store.getTags(FLOW, [ids[2]!, ids[3]!])).toEqual(new Map([[ids[2]!, ["round"]]]));
    expect(problems).toEqual([]);
  });
});
