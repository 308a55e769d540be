import { jest } from "@jest/globals";
import type { Server } from "node:http";
import express from "express";
import session from "express-session";
import type { Browser } from "playwright-core";
import { createSessionManager } from "../lib/http/create-session-manager.js";
import { launchBrowser, listenLocally, openPage } from "./browser-helpers.js";
import { FLOW, openStore, recordingLogger } from "./helpers.js";

jest.setTimeout(90_000);

declare module "express-session" {
  interface SessionData {
    signInTestUser?: string;
  }
}

const P = "/manage/sessions";

describe("the signIn option in Chromium", () => {
  let browser: Browser;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const store = await openStore("workflow_state.db");
    const app = express();
    app.use(session({ secret: "test secret", resave: false, saveUninitialized: false }));
    app.get("/sign-in-as/:user", (req, res) => {
      req.session.signInTestUser = req.params.user;
      req.session.save(() => res.redirect(P));
    });
    app.get("/sign-out", (req, res) => {
      delete req.session.signInTestUser;
      req.session.save(() => res.type("text").send("signed out"));
    });
    app.get("/login", (_req, res) => {
      res.type("html").send("<!doctype html><title>Sign in</title><h1>Sign in</h1>");
    });
    app.use(createSessionManager({ store, flowId: FLOW, owner: (req) => req.session.signInTestUser, signIn: "/login", logger: recordingLogger() }));
    const listening = await listenLocally(app);
    server = listening.server;
    base = `${listening.origin}`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("opens the sign-in page with return_to when a signed-out visitor opens the manager", async () => {
    const { page } = await openPage(browser);
    await page.goto(`${base}${P}?q=lec`);
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(new URL(page.url()).searchParams.get("return_to")).toBe(`${P}?q=lec`);
    await page.context().close();
  });

  it("loads the sign-in as a whole page (HX-Redirect), not into the list, when the visitor was signed out while the page was open", async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${base}/sign-in-as/ada`);
    await page.waitForSelector("[data-action=create]");
    // Signed out elsewhere (another tab): the open page's next htmx request finds no owner.
    await page.context().request.get(`${base}/sign-out`);
    await page.click("[data-action=create]");
    await page.waitForURL((url) => url.pathname === "/login");
    await page.waitForSelector("h1:text('Sign in')");
    expect(new URL(page.url()).searchParams.get("return_to")).toBe(P);
    expect(await page.locator("#ews-list").count()).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
