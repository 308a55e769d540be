import { readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { createWorkflowStore } from "../lib/store/create-workflow-store.js";
import type { WorkflowStore } from "../lib/store/workflow-store.js";
import { launchBrowser, listenLocally, openPage } from "./browser-helpers.js";
import { buildApp, FLOW, tempDir } from "./helpers.js";

const P = "/manage/sessions";

describe("export and import in Chromium", () => {
  let browser: Browser;
  let server: Server;
  let store: WorkflowStore;
  let base: string;

  beforeAll(async () => {
    store = await createWorkflowStore({ filename: join(tempDir(), "workflow_state.db") });
    await store.importSessions(FLOW, [{ sessionId: "lecture-1", label: "Lecture 1", state: '{"n": 10000000000000000000001, "x": NaN}' }], { keepIds: true });
    const listening = await listenLocally(buildApp({ store }));
    server = listening.server;
    base = `${listening.origin}${P}`;
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await store?.close();
  });

  it.each([true, false])("downloads a row by its Export link, reached by Tab, then imports the file with the toolbar's form (JavaScript %s)", async (javaScriptEnabled) => {
    const { context, page, problems } = await openPage(browser, { acceptDownloads: true, javaScriptEnabled });
    await page.goto(base);
    const rename = page.locator('[data-action="rename"][aria-label="Rename Lecture 1"]');
    await rename.focus();
    // Rename, then Duplicate, then Pin, then Export.
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Export Lecture 1");
    const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
    expect(download.suggestedFilename()).toBe("Lecture 1.json");
    const file = join(tempDir(), "export.json");
    await download.saveAs(file);
    expect(readFileSync(file, "utf8")).toContain('"state":{"n": 10000000000000000000001, "x": NaN}');

    const again = `Lecture 1 again (${javaScriptEnabled ? "with" : "without"} JavaScript)`;
    writeFileSync(file, readFileSync(file, "utf8").replace('"label":"Lecture 1"', `"label":"${again}"`));
    await page.setInputFiles("#ews-import-file", file);
    await Promise.all([page.waitForURL(base), page.click('[data-action="import"]')]);
    await page.getByText(`Imported “${again}”.`).waitFor();
    expect(await page.locator(`tr[data-session-label="${again}"]`).count()).toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
