// /api/jobs over real HTTP and real stores: each write read back through GraphQL.
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobDocument, JobsDocument } from "./generated/graphql";
import { createRoleTokens, createVm, sendCommand } from "./support/factories";
import { expectError, problemPaths, restClient, restJob, type RestResponse } from "./support/rest";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let api: ReturnType<typeof restClient>;
let dev: string;
let admin: string;
let viewer: string;
let vmId: string;

beforeAll(async () => {
  t = await startTestServer();
  api = restClient(t);
  ({ dev, admin, viewer } = await createRoleTokens(t));
  vmId = (await createVm(t, dev)).id;
});
afterAll(() => t?.close());

const ids = (res: RestResponse) => res.body.items.map((item: { id: string }) => item.id);
/** The job as DynamoDB holds it, to prove a refused write changed nothing. */
const storedJob = async (id: string) =>
  (await t.stores.dynamo.doc.send(new GetCommand({ TableName: t.stores.tables.jobs, Key: { jobId: id }, ConsistentRead: true }))).Item;
const newJob = async (text = "sleep 1") => (await sendCommand(t, dev, vmId, text)).job;

describe("GET /api/jobs/:jobId", () => {
  it("one job, the object GraphQL returns, status in lower case", async () => {
    const job = await newJob("make");
    const res = await api.get(`/jobs/${job.id}`, { token: viewer });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(restJob(job));
    expect(res.body.status).toBe("running");
    expect(Object.keys(res.body).sort()).toEqual(["command", "commandId", "finishedAt", "id", "startedAt", "status", "vmId"]);
    expect(restJob((await t.gql(JobDocument, { id: job.id }, { token: viewer })).data!.job!)).toEqual(res.body);
  });

  it("?consistency=strong reads DynamoDB; the default reads the cache", async () => {
    const job = await newJob();
    await t.server.container.cache.writer.idle();
    // Another writer (no cache write-through) finishes the job in DynamoDB only.
    await t.stores.dynamo.doc.send(
      new UpdateCommand({
        TableName: t.stores.tables.jobs,
        Key: { jobId: job.id },
        UpdateExpression: "SET #s = :s, finishedAt = :f",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":s": "failed", ":f": new Date().toISOString() },
      }),
    );
    expect((await api.get(`/jobs/${job.id}`, { token: viewer })).body.status).toBe("running");
    expect((await api.get(`/jobs/${job.id}`, { token: viewer, query: { consistency: "cache" } })).body.status).toBe("running");
    const strong = await api.get(`/jobs/${job.id}`, { token: viewer, query: { consistency: "strong" } });
    expect(strong.body).toMatchObject({ id: job.id, status: "failed", finishedAt: expect.any(String) });
    const viaGraphQL = await t.gql(JobDocument, { id: job.id, consistency: "STRONG" }, { token: viewer });
    expect(restJob(viaGraphQL.data!.job!)).toEqual(strong.body);
  });

  it("a job never cached is read from DynamoDB", async () => {
    const job = await newJob();
    await t.server.container.cache.writer.idle();
    await t.stores.prisma.$executeRawUnsafe(`DELETE FROM jobs WHERE id = '${job.id}'`);
    expect((await api.get(`/jobs/${job.id}`, { token: viewer })).body).toEqual(restJob(job));
  });

  it.each([
    ["an unknown id → 404", "/jobs/00000000-0000-4000-8000-000000000000", {}, 404, "NOT_FOUND", undefined],
    ["not a UUID → 400", "/jobs/42", {}, 400, "BAD_USER_INPUT", "params.jobId"],
    ["consistency=STRONG (upper case) → 400", "/jobs/00000000-0000-4000-8000-000000000000", { consistency: "STRONG" }, 400, "BAD_USER_INPUT", "query.consistency"],
    ["consistency=eventual → 400", "/jobs/00000000-0000-4000-8000-000000000000", { consistency: "eventual" }, 400, "BAD_USER_INPUT", "query.consistency"],
  ])("%s", async (_label, path, query, status, code, problem) => {
    const res = await api.get(path, { token: viewer, query });
    expectError(res, status, code);
    if (problem) expect(problemPaths(res)).toEqual([problem]);
  });

  it("no token → 401", async () => {
    expectError(await api.get("/jobs/00000000-0000-4000-8000-000000000000"), 401, "UNAUTHENTICATED");
  });
});

describe("GET /api/jobs", () => {
  let listVm: string;
  /** Newest first. */
  let jobs: Array<{ id: string; startedAt: string | null }>;

  beforeAll(async () => {
    listVm = (await createVm(t, dev)).id;
    const made = [];
    for (let i = 0; i < 4; i++) {
      made.push((await sendCommand(t, dev, listVm, `job ${i}`)).job);
      // Distinct milliseconds, so the time filters below have exact answers.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await api.patch(`/jobs/${made[1]!.id}`, { status: "failed" }, { token: dev });
    jobs = made.reverse();
  });

  it("?vmId= lists that VM's jobs newest first, the objects GraphQL's jobs(filter) returns", async () => {
    const res = await api.get("/jobs", { token: viewer, query: { vmId: listVm } });
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual(jobs.map((j) => j.id));
    expect(res.body.nextCursor).toBeNull();
    const gql = await t.gql(JobsDocument, { filter: { vmId: listVm }, first: 10 }, { token: viewer });
    expect(res.body.items).toEqual(gql.data!.jobs.edges.map((e) => restJob(e.node)));
  });

  it("without filters lists across VMs, newest first", async () => {
    const res = await api.get("/jobs", { token: viewer, query: { limit: "100" } });
    const startedAt = res.body.items.map((j: { startedAt: string }) => j.startedAt);
    expect(startedAt).toEqual([...startedAt].sort().reverse());
    expect(ids(res)).toEqual(expect.arrayContaining(jobs.map((j) => j.id)));
  });

  it("?status= in lower case filters", async () => {
    const res = await api.get("/jobs", { token: viewer, query: { vmId: listVm, status: "failed" } });
    expect(ids(res)).toEqual([jobs[2]!.id]);
    expect(res.body.items[0]).toMatchObject({ status: "failed", finishedAt: expect.any(String) });
  });

  it("?startedAfter= and ?startedBefore= are exclusive bounds", async () => {
    const after = await api.get("/jobs", { token: viewer, query: { vmId: listVm, startedAfter: jobs[2]!.startedAt! } });
    expect(ids(after)).toEqual([jobs[0]!.id, jobs[1]!.id]);
    const before = await api.get("/jobs", { token: viewer, query: { vmId: listVm, startedBefore: jobs[1]!.startedAt! } });
    expect(ids(before)).toEqual([jobs[2]!.id, jobs[3]!.id]);
    const both = await api.get("/jobs", {
      token: viewer,
      query: { vmId: listVm, startedAfter: jobs[3]!.startedAt!, startedBefore: jobs[0]!.startedAt! },
    });
    expect(ids(both)).toEqual([jobs[1]!.id, jobs[2]!.id]);
    const gql = await t.gql(
      JobsDocument,
      { filter: { vmId: listVm, startedAfter: jobs[3]!.startedAt, startedBefore: jobs[0]!.startedAt } },
      { token: viewer },
    );
    expect(both.body.items).toEqual(gql.data!.jobs.edges.map((e) => restJob(e.node)));
  });

  it("pages with limit and cursor; the cursor is GraphQL's", async () => {
    const first = await api.get("/jobs", { token: viewer, query: { vmId: listVm, limit: "3" } });
    expect(ids(first)).toEqual(jobs.slice(0, 3).map((j) => j.id));
    const gql = await t.gql(JobsDocument, { filter: { vmId: listVm }, first: 3 }, { token: viewer });
    expect(first.body.nextCursor).toBe(gql.data!.jobs.pageInfo.endCursor);
    const next = await api.get("/jobs", { token: viewer, query: { vmId: listVm, limit: "3", cursor: first.body.nextCursor } });
    expect(ids(next)).toEqual([jobs[3]!.id]);
    expect(next.body.nextCursor).toBeNull();
  });

  it.each([
    ["status=RUNNING", { status: "RUNNING" }, "query.status"],
    ["status=done", { status: "done" }, "query.status"],
    ["startedAfter=yesterday", { startedAfter: "yesterday" }, "query.startedAfter"],
    ["startedBefore without a time", { startedBefore: "2026-01-01" }, "query.startedBefore"],
    ["vmId of the wrong shape", { vmId: "-x" }, "query.vmId"],
    ["limit=-1", { limit: "-1" }, "query.limit"],
  ])("%s → 400", async (_label, query, path) => {
    const res = await api.get("/jobs", { token: viewer, query });
    expectError(res, 400, "BAD_USER_INPUT");
    expect(problemPaths(res)).toEqual([path]);
  });

  it("unknown query parameters are ignored; no token → 401", async () => {
    const res = await api.get("/jobs", { token: viewer, query: { vmId: listVm, order: "asc" } });
    expect(ids(res)).toEqual(jobs.map((j) => j.id));
    expectError(await api.get("/jobs"), 401, "UNAUTHENTICATED");
  });
});

describe("PATCH /api/jobs/:jobId", () => {
  it("running → success (200), the object GraphQL returns, from the cache and from DynamoDB", async () => {
    const job = await newJob();
    const res = await api.patch(`/jobs/${job.id}`, { status: "success" }, { token: dev });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...restJob(job), status: "success", finishedAt: expect.any(String) });
    expect(res.body.finishedAt >= res.body.startedAt).toBe(true);
    for (const consistency of ["CACHE", "STRONG"] as const) {
      expect(restJob((await t.gql(JobDocument, { id: job.id, consistency }, { token: viewer })).data!.job!)).toEqual(res.body);
    }
    await t.server.container.cache.writer.idle();
    expect((await api.get(`/jobs/${job.id}`, { token: viewer })).body).toEqual(res.body);
  });

  it("running → failed by an admin", async () => {
    const job = await newJob();
    const res = await api.patch(`/jobs/${job.id}`, { status: "failed" }, { token: admin });
    expect(res.body.status).toBe("failed");
  });

  it("once: a second move → 409 CONFLICT, the job unchanged", async () => {
    const job = await newJob();
    expect((await api.patch(`/jobs/${job.id}`, { status: "success" }, { token: dev })).status).toBe(200);
    const before = await storedJob(job.id);
    expectError(await api.patch(`/jobs/${job.id}`, { status: "failed" }, { token: dev }), 409, "CONFLICT");
    expect(await storedJob(job.id)).toEqual(before);
  });

  it("status running → 409 CONFLICT, the job unchanged", async () => {
    const job = await newJob();
    const before = await storedJob(job.id);
    expectError(await api.patch(`/jobs/${job.id}`, { status: "running" }, { token: dev }), 409, "CONFLICT");
    expect(await storedJob(job.id)).toEqual(before);
  });

  it.each<[string, unknown]>([
    ["SUCCESS (upper case)", { status: "SUCCESS" }],
    ["an unknown status", { status: "done" }],
    ["no status", {}],
    ["an array body", [{ status: "success" }]],
  ])("%s → 400, the job unchanged", async (_label, body) => {
    const job = await newJob();
    const before = await storedJob(job.id);
    const res = await api.patch(`/jobs/${job.id}`, body, { token: dev });
    expectError(res, 400, "BAD_USER_INPUT");
    expect(await storedJob(job.id)).toEqual(before);
  });

  it("a viewer → 403, no token → 401, the job unchanged", async () => {
    const job = await newJob();
    const before = await storedJob(job.id);
    expectError(await api.patch(`/jobs/${job.id}`, { status: "success" }, { token: viewer }), 403, "FORBIDDEN");
    expectError(await api.patch(`/jobs/${job.id}`, { status: "success" }), 401, "UNAUTHENTICATED");
    expect(await storedJob(job.id)).toEqual(before);
  });

  it("an unknown job → 404 and nothing created; not a UUID → 400", async () => {
    const id = "00000000-0000-4000-8000-0000000000ff";
    expectError(await api.patch(`/jobs/${id}`, { status: "success" }, { token: dev }), 404, "NOT_FOUND");
    expect(await storedJob(id)).toBeUndefined();
    const bad = await api.patch("/jobs/nope", { status: "success" }, { token: dev });
    expectError(bad, 400, "BAD_USER_INPUT");
    expect(problemPaths(bad)).toEqual(["params.jobId"]);
  });

  it("malformed JSON → 400, a wrong Content-Type → 415", async () => {
    const job = await newJob();
    expectError(await api.patch(`/jobs/${job.id}`, '{"status":', { token: dev }), 400, "BAD_USER_INPUT");
    const res = await api.patch(`/jobs/${job.id}`, '{"status":"success"}', { token: dev, headers: { "content-type": "text/plain" } });
    expectError(res, 415, "BAD_USER_INPUT");
    expect((await storedJob(job.id))!.status).toBe("running");
  });
});
