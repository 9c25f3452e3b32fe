// /api/commands over real HTTP and real stores: each write read back through GraphQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMAND_LIMITS } from "../src/commands/command.schema";
import { CommandDocument, JobDocument } from "./generated/graphql";
import { storedCounts } from "./support/counts";
import { createRoleTokens, createVm, sendCommand } from "./support/factories";
import { expectError, problemPaths, restClient, restCommand, restJob, type RestResponse } from "./support/rest";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let api: ReturnType<typeof restClient>;
let dev: string;
let devId: string;
let admin: string;
let viewer: string;
let vmId: string;

beforeAll(async () => {
  t = await startTestServer();
  api = restClient(t);
  ({ dev, admin, viewer, devId } = await createRoleTokens(t));
  vmId = (await createVm(t, dev)).id;
});
afterAll(() => t?.close());

/** Runs `request` and checks that no store (DynamoDB's commands, jobs, logs, nor the cache) gained anything. */
async function storesNothing(request: () => Promise<RestResponse>): Promise<RestResponse> {
  const before = await storedCounts(t);
  const res = await request();
  expect(await storedCounts(t)).toEqual(before);
  return res;
}

const ids = (res: RestResponse) => res.body.items.map((item: { id: string }) => item.id);

describe("POST /api/commands", () => {
  it("stores the command and its running job (201 {command, job}), the objects GraphQL returns", async () => {
    const res = await api.post("/commands", { vmId, command: "df -h" }, { token: dev });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(["command", "job"]);
    const { command, job } = res.body;
    expect(command).toEqual({ id: expect.any(String), vmId, command: "df -h", issuedBy: devId, createdAt: expect.any(String) });
    expect(job).toEqual({
      id: expect.any(String),
      vmId,
      commandId: command.id,
      command: "df -h",
      status: "running",
      startedAt: command.createdAt,
      finishedAt: null,
    });

    const gqlCommand = (await t.gql(CommandDocument, { id: command.id }, { token: viewer })).data!.command!;
    expect(restCommand(gqlCommand)).toEqual(command);
    expect(gqlCommand.jobs.edges.map((e) => restJob(e.node))).toEqual([job]);
    const gqlJob = (await t.gql(JobDocument, { id: job.id, consistency: "STRONG" }, { token: viewer })).data!.job!;
    expect(restJob(gqlJob)).toEqual(job);
    expect((await api.get(`/commands/${command.id}`, { token: viewer })).body).toEqual(command);
    expect((await api.get(`/jobs/${job.id}`, { token: viewer })).body).toEqual(job);
  });

  it("an admin may send too; unknown body fields are ignored; the text is stored as sent", async () => {
    const text = "  echo 'héllo' | wc -c  ";
    const res = await api.post("/commands", { vmId, command: text, priority: 9 }, { token: admin });
    expect(res.status).toBe(201);
    expect(res.body.command.command).toBe(text);
  });

  it("an unknown VM → 404 NOT_FOUND, nothing stored", async () => {
    expectError(await storesNothing(() => api.post("/commands", { vmId: "never-made", command: "ls" }, { token: dev })), 404, "NOT_FOUND");
  });

  // Bodies for the test's VM (created in beforeAll, after the table is built).
  const badBodies: Array<[string, (vm: string) => unknown, string]> = [
    ["blank command", (vm) => ({ vmId: vm, command: "   " }), "body.command"],
    ["empty command", (vm) => ({ vmId: vm, command: "" }), "body.command"],
    ["command over 16 KiB", (vm) => ({ vmId: vm, command: "x".repeat(COMMAND_LIMITS.textBytes + 1) }), "body.command"],
    ["NUL in the command", (vm) => ({ vmId: vm, command: "ls\u0000" }), "body.command"],
    ["missing vmId", () => ({ command: "ls" }), "body.vmId"],
    ["vmId of the wrong shape", () => ({ vmId: "has space", command: "ls" }), "body.vmId"],
    ["command not a string", (vm) => ({ vmId: vm, command: ["ls"] }), "body.command"],
  ];
  it.each(badBodies)("%s → 400 BAD_USER_INPUT, nothing stored", async (_label, body, path) => {
    const res = await storesNothing(() => api.post("/commands", body(vmId), { token: dev }));
    expectError(res, 400, "BAD_USER_INPUT");
    expect(problemPaths(res)).toContain(path);
  });

  it("malformed JSON → 400, a wrong Content-Type → 415: nothing stored", async () => {
    expectError(await storesNothing(() => api.post("/commands", '{"vmId":', { token: dev })), 400, "BAD_USER_INPUT");
    const body = JSON.stringify({ vmId, command: "ls" });
    const res = await storesNothing(() => api.post("/commands", body, { token: dev, headers: { "content-type": "text/plain" } }));
    expectError(res, 415, "BAD_USER_INPUT");
  });

  it("a viewer → 403, no token → 401, a forged token → 401: nothing stored", async () => {
    const body = { vmId, command: "reboot" };
    expectError(await storesNothing(() => api.post("/commands", body, { token: viewer })), 403, "FORBIDDEN");
    expectError(await storesNothing(() => api.post("/commands", body)), 401, "UNAUTHENTICATED");
    expectError(await storesNothing(() => api.post("/commands", body, { token: "forged" })), 401, "UNAUTHENTICATED");
  });
});

describe("GET /api/commands/:commandId", () => {
  it("one command; an unknown id → 404; not a UUID → 400; no token → 401", async () => {
    const { command } = await sendCommand(t, dev, vmId, "whoami");
    const res = await api.get(`/commands/${command.id}`, { token: viewer });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(restCommand(command));
    expectError(await api.get("/commands/00000000-0000-4000-8000-000000000000", { token: viewer }), 404, "NOT_FOUND");
    const bad = await api.get("/commands/not-a-uuid", { token: viewer });
    expectError(bad, 400, "BAD_USER_INPUT");
    expect(problemPaths(bad)).toEqual(["params.commandId"]);
    expectError(await api.get(`/commands/${command.id}`), 401, "UNAUTHENTICATED");
  });
});

describe("GET /api/commands", () => {
  let listVm: string;
  const sent: string[] = [];

  beforeAll(async () => {
    listVm = (await createVm(t, dev)).id;
    for (let i = 0; i < 5; i++) sent.unshift((await sendCommand(t, dev, listVm, `step ${i}`)).command.id);
    // Another VM's command must not show.
    await sendCommand(t, dev, vmId, "elsewhere");
  });

  it("?vmId= lists that VM's commands newest first, the objects GraphQL returns", async () => {
    const res = await api.get("/commands", { token: viewer, query: { vmId: listVm } });
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual(sent);
    expect(res.body.nextCursor).toBeNull();
    for (const item of res.body.items.slice(0, 2)) {
      expect(restCommand((await t.gql(CommandDocument, { id: item.id }, { token: viewer })).data!.command!)).toEqual(item);
    }
  });

  it("pages with limit and cursor, without repeats", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: RestResponse = await api.get("/commands", { token: viewer, query: { vmId: listVm, limit: "2", ...(cursor ? { cursor } : {}) } });
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...ids(page));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(sent);
  });

  it("keeps listing a deleted VM's commands", async () => {
    const gone = (await createVm(t, dev)).id;
    const { command } = await sendCommand(t, dev, gone, "last words");
    expect((await api.delete(`/vms/${gone}`, { token: dev })).status).toBe(204);
    expect(ids(await api.get("/commands", { token: viewer, query: { vmId: gone } }))).toEqual([command.id]);
  });

  it("an unknown vmId is an empty list", async () => {
    const res = await api.get("/commands", { token: viewer, query: { vmId: "never-made" } });
    expect(res.body).toEqual({ items: [], nextCursor: null });
  });

  it("without vmId → 400 \"vmId is required\"", async () => {
    const res = await api.get("/commands", { token: viewer });
    expectError(res, 400, "BAD_USER_INPUT");
    expect(res.body.error.problems).toEqual([{ path: "query.vmId", message: "is required: commands are listed per VM" }]);
  });

  it.each([
    ["vmId of the wrong shape", { vmId: "-x" }, "query.vmId"],
    ["vmId twice", { vmId: ["a", "b"] }, "query.vmId"],
    ["limit=abc", { vmId: "a", limit: "abc" }, "query.limit"],
  ])("%s → 400", async (_label, query, path) => {
    const res = await api.get("/commands", { token: viewer, query });
    expectError(res, 400, "BAD_USER_INPUT");
    expect(problemPaths(res)).toEqual([path]);
  });

  it("a cursor of another list → 400; no token → 401", async () => {
    const jobs = await api.get("/jobs", { token: viewer, query: { limit: "1" } });
    expectError(await api.get("/commands", { token: viewer, query: { vmId: listVm, cursor: jobs.body.nextCursor } }), 400, "BAD_USER_INPUT");
    expectError(await api.get("/commands", { query: { vmId: listVm } }), 401, "UNAUTHENTICATED");
  });
});
