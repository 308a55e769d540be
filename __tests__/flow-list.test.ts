import { sql } from "kysely";
import { backends, FLOW } from "./helpers.js";

describe.each(backends)("WorkflowStore.listFlows() on $name", (backend) => {
  it("lists every flow that has sessions with its session count, ordered by flow id", async () => {
    const store = await backend.openStore("workflow_state.db");
    expect(await store.listFlows()).toEqual([
      { flowId: FLOW, sessions: await store.countSessions(FLOW) },
      { flowId: "transcription", sessions: await store.countSessions("transcription") },
    ]);
  });

  it("is empty for an empty table", async () => {
    const store = await backend.openStore();
    expect(await store.listFlows()).toEqual([]);
  });

  it("counts every owner's sessions, orders flow ids byte-wise, and leaves out keys that name no flow", async () => {
    const store = await backend.openStore();
    await store.createSession("b", { owner: "ada" });
    await store.createSession("b", { owner: "bob" });
    await store.createSession("B");
    await store.createSession("é-flow");
    await store.createSession("a.b-c");
    // Keys another program wrote: no ":" at all, and an empty flow part.
    await sql`INSERT INTO workflow_state (flow_session_key) VALUES ('no-colon'), (':empty-flow')`.execute(store.db);
    expect(await store.listFlows()).toEqual([
      { flowId: "B", sessions: 1 },
      { flowId: "a.b-c", sessions: 1 },
      { flowId: "b", sessions: 2 },
      { flowId: "é-flow", sessions: 1 },
    ]);
  });
});
