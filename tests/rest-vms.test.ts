import { GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SetJobStatusDocument, VmCommandsDocument, VmDocument, VmJobsDocument, VmsDocument } from "./generated/graphql";
import { storedCounts } from "./support/counts";
import { buildVmInput, createRoleTokens, createVm, sendCommand } from "./support/factories";
import { expectError, problemPaths, restClient, restCommand, restJob } from "./support/rest";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let api: ReturnType<typeof restClient>;
let dev: string;
let admin: string;
let viewer: string;
let devId: string;

beforeAll(async () => {
  t = await startTestServer();
  api = restClient(t);
  ({ dev, admin, viewer, devId } = await createRoleTokens(t));
});
afterAll(() => t?.close());

async function vmCount(): Promise<number> {
  const out = await t.stores.dynamo.doc.send(new ScanCommand({ TableName: t.stores.tables.vms, Select: "COUNT" }));
  return out.Count ?? 0;
}

/** Runs `request` and checks it stored no VM. */
async function storesNothing<T>(request: () => Promise<T>): Promise<T> {
  const before = await vmCount();
  const result = await request();
  expect(await vmCount()).toBe(before);
  return result;
}


describe("POST /api/vms", () => {
  it("creates a VM (201), the same object GET and GraphQL return", async () => {
    const input = buildVmInput({ tags: { team: "core", tier: "1" } });
    const res = await api.post("/vms", input, { token: dev });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const vm = res.body;
    expect(Object.keys(vm).sort()).toEqual(["createdAt", "environment", "id", "name", "tags", "updatedAt"]);
    expect(vm).toMatchObject({ name: input.name, environment: "staging", tags: { team: "core", tier: "1" } });
    expect(vm.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    const viaGraphQL = await t.gql(VmDocument, { id: vm.id }, { token: viewer });
    expect(viaGraphQL.data!.vm).toEqual(vm);
    const viaRest = await api.get(`/vms/${vm.id}`, { token: viewer });
    expect(viaRest.status).toBe(200);
    expect(viaRest.body).toEqual(vm);
  });

  it("keeps a client-chosen id; an admin may write too", async () => {
    const res = await api.post("/vms", buildVmInput({ id: "rest-chosen-1" }), { token: admin });
    expect(res.status).toBe(201);
    expect(res.body.id).toBe("rest-chosen-1");
    expect((await t.gql(VmDocument, { id: "rest-chosen-1" }, { token: viewer })).data!.vm).toEqual(res.body);
  });

  it("ignores unknown body fields", async () => {
    const res = await api.post("/vms", { ...buildVmInput(), color: "blue" }, { token: dev });
    expect(res.status).toBe(201);
    expect(res.body).not.toHaveProperty("color");
  });

  const badBodies: Array<[string, unknown, string]> = [
    ["empty name", { ...buildVmInput(), name: "" }, "body.name"],
    ["missing name", { environment: "staging" }, "body.name"],
    ["blank environment", { ...buildVmInput(), environment: "   " }, "body.environment"],
    ["tag value not a string", { ...buildVmInput(), tags: { team: 7 } }, "body.tags.team"],
    ["malformed id", { ...buildVmInput(), id: "has spaces" }, "body.id"],
    ["name of the wrong type", { ...buildVmInput(), name: 42 }, "body.name"],
    ["an array body", [buildVmInput()], "body"],
  ];
  it.each(badBodies)("%s → 400 BAD_USER_INPUT, nothing stored", async (_label, body, path) => {
    const res = await storesNothing(() => api.post("/vms", body, { token: dev }));
    expectError(res, 400, "BAD_USER_INPUT");
    expect(res.body.error.problems.map((p: { path: string }) => p.path)).toContain(path);
  });

  it("an existing id → 409 CONFLICT, nothing overwritten", async () => {
    expect((await api.post("/vms", buildVmInput({ id: "rest-taken", name: "original" }), { token: dev })).status).toBe(201);
    const res = await storesNothing(() => api.post("/vms", buildVmInput({ id: "rest-taken", name: "intruder" }), { token: dev }));
    expectError(res, 409, "CONFLICT");
    expect((await api.get("/vms/rest-taken", { token: viewer })).body.name).toBe("original");
  });

  it("no token → 401 UNAUTHENTICATED, nothing stored", async () => {
    expectError(await storesNothing(() => api.post("/vms", buildVmInput())), 401, "UNAUTHENTICATED");
  });

  it("a forged token → 401 UNAUTHENTICATED, nothing stored", async () => {
    expectError(await storesNothing(() => api.post("/vms", buildVmInput(), { token: "not.a.token" })), 401, "UNAUTHENTICATED");
  });

  it("a viewer → 403 FORBIDDEN, nothing stored (even with a bad body)", async () => {
    expectError(await storesNothing(() => api.post("/vms", buildVmInput(), { token: viewer })), 403, "FORBIDDEN");
    expectError(await storesNothing(() => api.post("/vms", { name: "" }, { token: viewer })), 403, "FORBIDDEN");
  });

  it("malformed JSON → 400 BAD_USER_INPUT, nothing stored", async () => {
    const res = await storesNothing(() => api.post("/vms", '{"name": "x",', { token: dev }));
    expectError(res, 400, "BAD_USER_INPUT");
    expect(res.body.error.message).toBe("malformed JSON body");
  });

  it("a body over 64 KiB → 413 PAYLOAD_TOO_LARGE, nothing stored", async () => {
    const body = { ...buildVmInput(), padding: "x".repeat(64 * 1024) };
    expectError(await storesNothing(() => api.post("/vms", body, { token: dev })), 413, "PAYLOAD_TOO_LARGE");
  });

  it.each([
    ["text/plain", { "content-type": "text/plain" }],
    ["form-encoded", { "content-type": "application/x-www-form-urlencoded" }],
  ])("Content-Type %s → 415 BAD_USER_INPUT, nothing stored", async (_label, headers) => {
    const res = await storesNothing(() => api.post("/vms", JSON.stringify(buildVmInput()), { token: dev, headers }));
    expectError(res, 415, "BAD_USER_INPUT");
  });

  it("no Content-Type at all → 415, nothing stored", async () => {
    const res = await storesNothing(() =>
      fetch(`${t.url}/api/vms`, {
        method: "POST",
        headers: { authorization: `Bearer ${dev}` },
        body: new Uint8Array(Buffer.from(JSON.stringify(buildVmInput()))),
      }),
    );
    expect(res.status).toBe(415);
    expect(((await res.json()) as any).error.code).toBe("BAD_USER_INPUT");
  });

  it("accepts application/json with a charset", async () => {
    const res = await api.post("/vms", buildVmInput(), { token: dev, headers: { "content-type": "application/json; charset=utf-8" } });
    expect(res.status).toBe(201);
  });
});

describe("GET /api/vms/:vmId", () => {
  it("an unknown id → 404 NOT_FOUND", async () => {
    expectError(await api.get("/vms/no-such-vm", { token: viewer }), 404, "NOT_FOUND");
  });

  it.each(["has%20spaces", "-leading-dash", "x".repeat(129)])("an id of the wrong shape (%s) → 400", async (id) => {
    const res = await api.get(`/vms/${id}`, { token: viewer });
    expectError(res, 400, "BAD_USER_INPUT");
    expect(res.body.error.problems[0].path).toBe("params.vmId");
  });

  it("no token → 401", async () => {
    expectError(await api.get("/vms/rest-taken"), 401, "UNAUTHENTICATED");
  });
});

describe("GET /api/vms", () => {
  const environment = "rest-paging";
  const ids: string[] = [];

  beforeAll(async () => {
    // 101 VMs: one more than the cap, so both the default and the cap show.
    for (let i = 0; i < 101; i += 20) {
      const batch = Array.from({ length: Math.min(20, 101 - i) }, (_, j) => i + j);
      // Sequential batches keep createdAt strictly increasing between batches only,
      // so the expected order comes from the stored values below.
      await Promise.all(batch.map((n) => api.post("/vms", buildVmInput({ environment, name: `p${n}` }), { token: dev })));
    }
    const all = await api.get("/vms", { token: viewer, query: { environment, limit: "100" } });
    const rest = await api.get("/vms", { token: viewer, query: { environment, limit: "100", cursor: all.body.nextCursor } });
    ids.push(...[...all.body.items, ...rest.body.items].map((vm: { id: string }) => vm.id));
    expect(ids).toHaveLength(101);
  });

  it("lists newest first as { items, nextCursor }, 50 by default", async () => {
    const res = await api.get("/vms", { token: viewer, query: { environment } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["items", "nextCursor"]);
    expect(res.body.items).toHaveLength(50);
    expect(res.body.nextCursor).toEqual(expect.any(String));
    const createdAt = res.body.items.map((vm: { createdAt: string }) => vm.createdAt);
    expect(createdAt).toEqual([...createdAt].sort().reverse());
  });

  it("walks page by page without repeats, ending with nextCursor null", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 20; guard++) {
      const query: Record<string, string> = { environment, limit: "30", ...(cursor ? { cursor } : {}) };
      const page = await api.get("/vms", { token: viewer, query });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((vm: { id: string }) => vm.id));
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(ids);
  });

  it("items are the objects GraphQL returns", async () => {
    const res = await api.get("/vms", { token: viewer, query: { environment, limit: "3" } });
    for (const vm of res.body.items) {
      expect((await t.gql(VmDocument, { id: vm.id }, { token: viewer })).data!.vm).toEqual(vm);
    }
  });

  it("cursors are GraphQL's: nextCursor is endCursor, and each continues the other", async () => {
    const rest = await api.get("/vms", { token: viewer, query: { environment, limit: "3" } });
    const gql = await t.gql(VmsDocument, { environment, first: 3 }, { token: viewer });
    expect(rest.body.nextCursor).toBe(gql.data!.vms.pageInfo.endCursor);
    const next = await t.gql(VmsDocument, { environment, first: 2, after: rest.body.nextCursor }, { token: viewer });
    expect(next.data!.vms.edges.map((e) => e.node.id)).toEqual(ids.slice(3, 5));
  });

  it("lowers a limit above the cap to the cap (100)", async () => {
    const res = await api.get("/vms", { token: viewer, query: { environment, limit: "1000" } });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(100);
    expect(res.body.nextCursor).toEqual(expect.any(String));
  });

  it("ignores unknown query parameters", async () => {
    const res = await api.get("/vms", { token: viewer, query: { environment, limit: "2", sort: "name", foo: "bar" } });
    expect(res.status).toBe(200);
    expect(res.body.items.map((vm: { id: string }) => vm.id)).toEqual(ids.slice(0, 2));
  });

  it.each([
    ["limit=abc", { limit: "abc" }, "query.limit"],
    ["limit=0", { limit: "0" }, "query.limit"],
    ["limit=1.5", { limit: "1.5" }, "query.limit"],
    ["limit twice", { limit: ["1", "2"] }, "query.limit"],
    ["environment twice", { environment: ["a", "b"] }, "query.environment"],
  ])("%s → 400 BAD_USER_INPUT", async (_label, query, path) => {
    const res = await api.get("/vms", { token: viewer, query });
    expectError(res, 400, "BAD_USER_INPUT");
    expect(res.body.error.problems[0].path).toBe(path);
  });

  it("a malformed cursor → 400 BAD_USER_INPUT", async () => {
    expectError(await api.get("/vms", { token: viewer, query: { cursor: "not-a-cursor" } }), 400, "BAD_USER_INPUT");
  });

  it("no token → 401; a forged one → 401", async () => {
    expectError(await api.get("/vms"), 401, "UNAUTHENTICATED");
    expectError(await api.get("/vms", { token: "forged" }), 401, "UNAUTHENTICATED");
  });
});

describe("PATCH /api/vms/:vmId", () => {
  /** The VM as DynamoDB holds it, to prove a refused write changed nothing. */
  const stored = async (id: string) => (await t.stores.dynamo.doc.send(new GetCommand({ TableName: t.stores.tables.vms, Key: { vmId: id } }))).Item;

  it("changes the given fields (200), the same object GET and GraphQL return", async () => {
    const vm = (await api.post("/vms", buildVmInput({ name: "before", tags: { a: "1" } }), { token: dev })).body;
    const res = await api.patch(`/vms/${vm.id}`, { name: "after", tags: { b: "2" } }, { token: dev });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: vm.id, name: "after", environment: vm.environment, tags: { b: "2" }, createdAt: vm.createdAt });
    expect(Object.keys(res.body).sort()).toEqual(["createdAt", "environment", "id", "name", "tags", "updatedAt"]);
    expect(res.body.updatedAt >= vm.updatedAt).toBe(true);
    expect((await t.gql(VmDocument, { id: vm.id }, { token: viewer })).data!.vm).toEqual(res.body);
    expect((await api.get(`/vms/${vm.id}`, { token: viewer })).body).toEqual(res.body);
  });

  it("an admin may write too; null fields are left alone", async () => {
    const vm = (await api.post("/vms", buildVmInput({ name: "keep" }), { token: dev })).body;
    const res = await api.patch(`/vms/${vm.id}`, { name: null, environment: "prod" }, { token: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "keep", environment: "prod" });
  });

  it.each<[string, unknown, string]>([
    ["no field", {}, "body"],
    ["empty name", { name: "" }, "body.name"],
    ["tag value not a string", { tags: { x: 1 } }, "body.tags.x"],
  ])("%s → 400, the VM unchanged", async (_label, body, path) => {
    const vm = (await api.post("/vms", buildVmInput(), { token: dev })).body;
    const before = await stored(vm.id);
    const res = await api.patch(`/vms/${vm.id}`, body, { token: dev });
    expectError(res, 400, "BAD_USER_INPUT");
    expect(problemPaths(res)).toContain(path);
    expect(await stored(vm.id)).toEqual(before);
  });

  it("a viewer → 403, no token → 401, the VM unchanged", async () => {
    const vm = (await api.post("/vms", buildVmInput(), { token: dev })).body;
    const before = await stored(vm.id);
    expectError(await api.patch(`/vms/${vm.id}`, { name: "x" }, { token: viewer }), 403, "FORBIDDEN");
    expectError(await api.patch(`/vms/${vm.id}`, { name: "x" }), 401, "UNAUTHENTICATED");
    expect(await stored(vm.id)).toEqual(before);
  });

  it("an unknown VM → 404 and nothing created; an id of the wrong shape → 400", async () => {
    const res = await storesNothing(() => api.patch("/vms/never-made", { name: "x" }, { token: dev }));
    expectError(res, 404, "NOT_FOUND");
    const bad = await api.patch("/vms/-bad", { name: "x" }, { token: dev });
    expectError(bad, 400, "BAD_USER_INPUT");
    expect(problemPaths(bad)).toEqual(["params.vmId"]);
  });

  it("a wrong Content-Type → 415", async () => {
    const vm = (await api.post("/vms", buildVmInput(), { token: dev })).body;
    expectError(await api.patch(`/vms/${vm.id}`, '{"name":"x"}', { token: dev, headers: { "content-type": "text/plain" } }), 415, "BAD_USER_INPUT");
  });
});

describe("DELETE /api/vms/:vmId", () => {
  it("deletes (204, no body): GET is 404 and GraphQL's vm is null; its commands and jobs stay", async () => {
    const vm = await createVm(t, dev);
    const { command } = await sendCommand(t, dev, vm.id);
    const res = await api.delete(`/vms/${vm.id}`, { token: dev });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expectError(await api.get(`/vms/${vm.id}`, { token: viewer }), 404, "NOT_FOUND");
    expect((await t.gql(VmDocument, { id: vm.id }, { token: viewer })).data!.vm).toBeNull();
    expect((await api.get(`/commands/${command.id}`, { token: viewer })).status).toBe(200);
    expect((await api.get("/commands", { token: viewer, query: { vmId: vm.id } })).body.items).toHaveLength(1);
  });

  it("again → 404", async () => {
    const vm = await createVm(t, dev);
    expect((await api.delete(`/vms/${vm.id}`, { token: admin })).status).toBe(204);
    expectError(await api.delete(`/vms/${vm.id}`, { token: admin }), 404, "NOT_FOUND");
  });

  it("a viewer → 403, no token → 401: the VM stays", async () => {
    const vm = await createVm(t, dev);
    expectError(await storesNothing(() => api.delete(`/vms/${vm.id}`, { token: viewer })), 403, "FORBIDDEN");
    expectError(await storesNothing(() => api.delete(`/vms/${vm.id}`)), 401, "UNAUTHENTICATED");
    expect((await api.get(`/vms/${vm.id}`, { token: viewer })).status).toBe(200);
  });

  it("an id of the wrong shape → 400", async () => {
    expectError(await api.delete("/vms/has%20space", { token: dev }), 400, "BAD_USER_INPUT");
  });
});

describe("GET /api/vms/:vmId/jobs and /commands", () => {
  let vmId: string;
  let jobIds: string[];
  let commandIds: string[];

  beforeAll(async () => {
    vmId = (await createVm(t, dev)).id;
    const sent = [];
    for (const text of ["one", "two", "three"]) sent.push(await sendCommand(t, dev, vmId, text));
    await t.gql(SetJobStatusDocument, { id: sent[1]!.job.id, status: "SUCCESS" }, { token: dev });
    // Newest first: the order the contract asks for.
    jobIds = sent.map((s) => s.job.id).reverse();
    commandIds = sent.map((s) => s.command.id).reverse();
  });

  it("jobs: newest first, the objects GraphQL's Vm.jobs returns", async () => {
    const res = await api.get(`/vms/${vmId}/jobs`, { token: viewer });
    expect(res.status).toBe(200);
    expect(res.body.items.map((j: { id: string }) => j.id)).toEqual(jobIds);
    expect(res.body.nextCursor).toBeNull();
    const gql = await t.gql(VmJobsDocument, { id: vmId, first: 10 }, { token: viewer });
    expect(res.body.items).toEqual(gql.data!.vm!.jobs.edges.map((e) => restJob(e.node)));
    expect(res.body.items[1]).toMatchObject({ status: "success", command: "two" });
  });

  it("jobs: ?status= in lower case filters; upper case → 400", async () => {
    const res = await api.get(`/vms/${vmId}/jobs`, { token: viewer, query: { status: "running" } });
    expect(res.body.items.map((j: { id: string }) => j.id)).toEqual([jobIds[0], jobIds[2]]);
    const bad = await api.get(`/vms/${vmId}/jobs`, { token: viewer, query: { status: "RUNNING" } });
    expectError(bad, 400, "BAD_USER_INPUT");
    expect(problemPaths(bad)).toEqual(["query.status"]);
  });

  it("jobs: pages with limit and cursor", async () => {
    const first = await api.get(`/vms/${vmId}/jobs`, { token: viewer, query: { limit: "2" } });
    expect(first.body.items.map((j: { id: string }) => j.id)).toEqual(jobIds.slice(0, 2));
    const next = await api.get(`/vms/${vmId}/jobs`, { token: viewer, query: { limit: "2", cursor: first.body.nextCursor } });
    expect(next.body.items.map((j: { id: string }) => j.id)).toEqual(jobIds.slice(2));
    expect(next.body.nextCursor).toBeNull();
  });

  it("commands: newest first, issuedBy as a user id, the objects GraphQL's Vm.commands returns", async () => {
    const res = await api.get(`/vms/${vmId}/commands`, { token: viewer });
    expect(res.status).toBe(200);
    expect(res.body.items.map((c: { id: string }) => c.id)).toEqual(commandIds);
    expect(res.body.items[0]).toEqual({ id: commandIds[0], vmId, command: "three", issuedBy: devId, createdAt: expect.any(String) });
    const gql = await t.gql(VmCommandsDocument, { id: vmId, first: 10 }, { token: viewer });
    expect(res.body.items).toEqual(gql.data!.vm!.commands.edges.map((e) => restCommand(e.node)));
    const page = await api.get(`/vms/${vmId}/commands`, { token: viewer, query: { limit: "1" } });
    const rest = await api.get(`/vms/${vmId}/commands`, { token: viewer, query: { cursor: page.body.nextCursor } });
    expect([...page.body.items, ...rest.body.items].map((c: { id: string }) => c.id)).toEqual(commandIds);
  });

  it.each(["jobs", "commands"])("%s: unknown VM → 404, wrong-shaped id → 400, no token → 401, limit=0 → 400", async (what) => {
    expectError(await api.get(`/vms/never-made/${what}`, { token: viewer }), 404, "NOT_FOUND");
    expectError(await api.get(`/vms/-x/${what}`, { token: viewer }), 400, "BAD_USER_INPUT");
    expectError(await api.get(`/vms/${vmId}/${what}`), 401, "UNAUTHENTICATED");
    expectError(await api.get(`/vms/${vmId}/${what}`, { token: viewer, query: { limit: "0" } }), 400, "BAD_USER_INPUT");
  });

  it("reads store nothing", async () => {
    const before = await storedCounts(t);
    await api.get(`/vms/${vmId}/jobs`, { token: viewer });
    expect(await storedCounts(t)).toEqual(before);
  });
});

describe("the /api surface", () => {
  it("an unknown route → 404 JSON", async () => {
    const res = await api.get("/no-such-thing", { token: viewer });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: "NOT_FOUND", message: "no route for GET /api/no-such-thing" } });
  });
});
