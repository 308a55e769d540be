import { backends, buildApp, csrfAgent, decoded, rowIds, type FixtureName } from "./helpers.js";

const P = "/manage/sessions";
const HTMX = { "HX-Request": "true" };

/** The success notice a page shows, or null. */
function noticeIn(html: string): string | null {
  const match = /<div id="ews-alerts"[^>]*>([\s\S]*?)<\/div>\s*<section id="ews-list"/.exec(decoded(html));
  const text = /data-kind="success"[\s\S]*?<span>([\s\S]*?)<\/span>/.exec(match?.[1] ?? "")?.[1];
  return text ?? null;
}

describe.each(backends)("the notice of an action without JavaScript, on $name", (backend) => {
  async function fixtureAgent() {
    const store = await backend.openStore("workflow_state.db" satisfies FixtureName);
    return { store, agent: await csrfAgent(buildApp({ store })) };
  }

  it("shows the page after a create's 303 with “Created …” once, and not on the next visit", async () => {
    const { agent } = await fixtureAgent();
    const created = await agent.post(`${P}/create`).type("form").send({ label: "Flash test" }).expect(303);
    expect(created.headers.location).toBe(P);
    const first = await agent.get(P).expect(200);
    expect(noticeIn(first.text)).toBe("Created “Flash test”.");
    const again = await agent.get(P).expect(200);
    expect(noticeIn(again.text)).toBeNull();
  });

  it("says what a rename and a delete did, each once", async () => {
    const { agent } = await fixtureAgent();
    const id = rowIds((await agent.get(P)).text)[0]!;
    await agent.post(`${P}/rename`).type("form").send({ session_id: id, label: "Renamed plainly" }).expect(303);
    expect(noticeIn((await agent.get(P)).text)).toBe("Renamed to “Renamed plainly”.");
    await agent.post(`${P}/delete`).type("form").send({ session_id: id }).expect(303);
    expect(noticeIn((await agent.get(P)).text)).toBe("Deleted “Renamed plainly”.");
    expect(noticeIn((await agent.get(P)).text)).toBeNull();
  });

  it("keeps no flash for htmx requests, which get their notice in the answer", async () => {
    const { agent } = await fixtureAgent();
    const res = await agent.post(`${P}/create`).set(HTMX).type("form").send({ label: "By htmx" }).expect(200);
    expect(decoded(res.text)).toContain("Created “By htmx”.");
    expect(noticeIn((await agent.get(P)).text)).toBeNull();
  });
});
