import { mkdirSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { afterAll, afterEach, beforeAll, beforeEach } from "@jest/globals";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { createDemoApp } from "../demo-app/app.js";
import { FLOW, ROOT, tempDir } from "./helpers.js";

/** Debian's Chromium; Playwright cannot download a browser on these machines. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Where the browser tests save their screenshots. */
export const SCREENSHOTS = join(ROOT, "test-results", "screenshots");

/** Starts headless Chromium with the flags this closed network needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Serves `app` (an Express app, or any request listener) on a free loopback port; `origin` is its `http://127.0.0.1:PORT`. */
export async function listenLocally(app?: RequestListener): Promise<{ server: Server; origin: string }> {
  const server = (app ? createServer(app) : createServer()).listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The demo app on a free loopback port, over a fresh copy of the fixture. */
export async function startDemo() {
  // The demo answers only for its public origins, so the port is known before the app is built.
  const { server, origin: url } = await listenLocally();
  const dataDir = tempDir();
  const demo = await createDemoApp({ dataDir, origins: [url] });
  server.on("request", demo.app);
  return {
    ...demo,
    url,
    /** The demo's SQLite file, for another process to write. */
    databasePath: join(dataDir, "workflow_state.db"),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await demo.close();
    },
  };
}

/** A page in a fresh context (its own cookies), collecting page errors and dialogs so tests can assert none ran. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { context, page, problems };
}

/** Saves a full-page screenshot under test-results/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** One icon's contrast against what is behind it. */
export interface IconContrast {
  /** Where the icon is, e.g. `tr[aria-selected=true] [data-action=delete]`. */
  where: string;
  ratio: number;
}

/**
 * The contrast ratio (WCAG 2) of every visible icon (`svg`) on the page against its background, computed in the
 * page: colours come from `getComputedStyle` in whatever space the browser keeps them (oklch, oklab, rgb), are drawn
 * on a 1×1 canvas and read back as sRGB; the icon's colour is faded by its opacity and that of its ancestors and
 * laid over the backgrounds of its ancestors, as the browser paints them. axe-core leaves oklch colours
 * "incomplete", hence this.
 */
export function iconContrasts(page: Page): Promise<IconContrast[]> {
  return page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 1;
    const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
    const rgba = (color: string): [number, number, number, number] => {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = color;
      ctx.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
      return [r!, g!, b!, a! / 255];
    };
    const over = (top: [number, number, number, number], below: [number, number, number]): [number, number, number] =>
      [0, 1, 2].map((i) => top[i]! * top[3] + below[i]! * (1 - top[3])) as [number, number, number];
    const luminance = (rgb: [number, number, number]) => {
      const [r, g, b] = rgb.map((v) => {
        const c = v / 255;
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const describe = (element: Element) => {
      const action = element.closest("[data-action]")?.getAttribute("data-action");
      const row = element.closest("tr[data-session-id]");
      const rowState = row ? (row.getAttribute("aria-selected") === "true" ? "cursor row" : row.getAttribute("aria-current") === "true" ? "active row" : "row") : "";
      return [rowState, action ?? element.parentElement?.getAttribute("data-role") ?? element.getAttribute("class")].filter(Boolean).join(" ");
    };
    const results: { where: string; ratio: number }[] = [];
    for (const icon of Array.from(document.querySelectorAll("body svg"))) {
      const box = icon.getBoundingClientRect();
      if (box.width === 0 || !icon.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      let opacity = 1;
      const layers: [number, number, number, number][] = [];
      for (let element: Element | null = icon; element; element = element.parentElement) {
        const style = getComputedStyle(element);
        opacity *= Number(style.opacity);
        if (element !== icon) layers.push(rgba(style.backgroundColor));
      }
      let background: [number, number, number] = [255, 255, 255];
      for (const layer of layers.reverse()) background = over(layer, background);
      const [r, g, b, a] = rgba(getComputedStyle(icon).color);
      const color = over([r, g, b, a * opacity], background);
      const [light, dark] = [luminance(color), luminance(background)].sort((x, y) => y - x);
      results.push({ where: describe(icon), ratio: Math.round(((light! + 0.05) / (dark! + 0.05)) * 100) / 100 });
    }
    return results;
  });
}

/**
 * Resolves once no finite CSS animation or transition runs (a dialog's opening, a toast's), so colours are measured at
 * rest; endless ones (the spinner) and those driven by scrolling (DaisyUI's scroll lock) are left out.
 */
export function animationsDone(page: Page) {
  return page.waitForFunction(() =>
    document
      .getAnimations()
      .filter((animation) => animation.timeline instanceof DocumentTimeline && animation.effect?.getComputedTiming().endTime !== Infinity)
      .every((animation) => animation.playState !== "running"),
  );
}

/**
 * The serious and critical axe violations of the page, or of the part `include` selects, each as its rule and up to
 * three of its nodes; measured once animations are at rest (a dialog fading in has text of too little contrast).
 */
export async function seriousViolations(page: Page, include?: string): Promise<string[]> {
  await animationsDone(page);
  const builder = new AxeBuilder({ page });
  if (include) builder.include(include);
  const results = await builder.analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(" ")).slice(0, 3).join(", ")}`);
}

/** A browser suite over the demo, as {@link demoInBrowser} sets it up: one Chromium, and this test's demo. */
export interface DemoInBrowser {
  readonly browser: Browser;
  readonly demo: Awaited<ReturnType<typeof startDemo>>;
  /** Contexts the test opened, closed after it. */
  readonly contexts: BrowserContext[];
  /** A page in a fresh context (closed after the test) at `path` of the demo. */
  open(path: string, options?: BrowserContextOptions): Promise<Awaited<ReturnType<typeof openPage>>>;
}

/**
 * Registers the hooks of a browser suite over the demo: one Chromium for the file, a fresh demo for each test (with
 * only its newest `keepSessions` sessions, when given, then `seed` run on it), and every context the test opened
 * closed after it. Read `browser` and `demo` from the returned object inside tests, once the hooks have run.
 */
export function demoInBrowser(options: { keepSessions?: number; seed?: (demo: DemoInBrowser["demo"]) => Promise<void> } = {}): DemoInBrowser {
  let browser: Browser | undefined;
  let demo: DemoInBrowser["demo"] | undefined;
  const suite: DemoInBrowser = {
    get browser() {
      return browser!;
    },
    get demo() {
      return demo!;
    },
    contexts: [],
    async open(path, contextOptions) {
      const opened = await openPage(suite.browser, contextOptions);
      suite.contexts.push(opened.context);
      await opened.page.goto(`${suite.demo.url}${path}`);
      return opened;
    },
  };
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    demo = await startDemo();
    if (options.keepSessions !== undefined) {
      for (const s of (await demo.store.listSessions(FLOW)).slice(options.keepSessions)) await demo.store.deleteSession(FLOW, s.sessionId);
    }
    await options.seed?.(demo);
  });
  afterEach(async () => {
    await Promise.all(suite.contexts.splice(0).map((context) => context.close()));
    await demo?.stop();
  });
  return suite;
}

/**
 * `promise`, or a failure with `message` if it has not settled within `ms`: a wait that names itself when it never
 * ends, instead of the test's bare timeout (a bound for the message, not a timing the test depends on).
 */
export function failsUnlessWithin<T>(promise: Promise<T>, message: string, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, stuck]).finally(() => clearTimeout(timer));
}
