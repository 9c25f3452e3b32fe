// /api/logs over real HTTP and real stores: each append read back through GraphQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOG_LIMITS } from "../src/logs/log-line.schema";
import { LOG_BODY_LIMIT, REST_BODY_LIMIT } from "../src/rest/route";
import { LogsDocument } from "./generated/graphql";
import { storedCounts } from "./support/counts";
import { createRoleTokens, createVm, sendCommand } from "./support/factories";
import { expectError, problemPaths, restClient, restLogLine, type RestResponse } from "./support/rest";
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

const newJobId = async () => (await sendCommand(t, dev, vmId, "tail -f")).job.id;

/** Runs `request` and checks that no store (DynamoDB's logs and jobs, nor the cache) gained anything. */
async function storesNothing(request: () => Promise<RestResponse>): Promise<RestResponse> {
  const before = await storedCounts(t);
  const res = await request();
  expect(await storedCounts(t)).toEqual(before);
  return res;
}

const TS = "2026-11-26T09:41:10.123456Z";

describe("POST /api/logs/:jobId", () => {
  it("appends in order (201 {accepted, lastTs}); GET and GraphQL return the same lines", async () => {
    const jobId = await newJobId();
    const lines = [
      { ts: TS, stream: "stdout", data: "first" },
      { ts: TS, stream: "stderr", data: "same ts: moved 1 µs later" },
      { stream: "stdout", data: "no ts: the time of receipt" },
    ];
    const res = await api.post(`/logs/${jobId}`, { lines }, { token: dev });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ accepted: 3, lastTs: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/) });

    const read = await api.get(`/logs/${jobId}`, { token: viewer });
    expect(read.status).toBe(200);
    expect(read.body.items).toEqual([
      { jobId, ts: TS, stream: "stdout", data: "first" },
      { jobId, ts: "2026-11-26T09:41:10.123457Z", stream: "stderr", data: "same ts: moved 1 µs later" },
      { jobId, ts: res.body.lastTs, stream: "stdout", data: "no ts: the time of receipt" },
    ]);
    expect(read.body.nextCursor).toBeNull();
    const gql = await t.gql(LogsDocument, { jobId }, { token: viewer });
    expect(gql.data!.logs.edges.map((e) => restLogLine(e.node))).toEqual(read.body.items);
    await t.server.container.cache.writer.idle();
    expect((await api.get(`/logs/${jobId}`, { token: viewer })).body.items).toEqual(read.body.items);
  });

  it("an admin may append; no lines is 201 {accepted: 0, lastTs: null}", async () => {
    const jobId = await newJobId();
    expect((await api.post(`/logs/${jobId}`, { lines: [{ stream: "stdout", data: "x" }] }, { token: admin })).status).toBe(201);
    const empty = await api.post(`/logs/${jobId}`, { lines: [] }, { token: dev });
    expect(empty.status).toBe(201);
    expect(empty.body).toEqual({ accepted: 0, lastTs: null });
  });

  it("takes a body between 64 KiB and 1 MiB (the log routes' own limit)", async () => {
    const jobId = await newJobId();
    const lines = Array.from({ length: 40 }, (_, i) => ({ stream: "stdout", data: `${i}`.padEnd(8 * 1024, "x") }));
    expect(JSON.stringify({ lines }).length).toBeGreaterThan(REST_BODY_LIMIT);
    const res = await api.post(`/logs/${jobId}`, { lines }, { token: dev });
    expect(res.status).toBe(201);
    expect(res.body.accepted).toBe(40);
    const read = await api.get(`/logs/${jobId}`, { token: viewer, query: { limit: "100" } });
    expect(read.body.items.map((l: { data: string }) => l.data)).toEqual(lines.map((l) => l.data));
  });

  it("a body over 1 MiB → 413 PAYLOAD_TOO_LARGE, nothing stored", async () => {
    const jobId = await newJobId();
    const lines = Array.from({ length: 70 }, () => ({ stream: "stdout", data: "x".repeat(16 * 1024 - 100) }));
    expect(JSON.stringify({ lines }).length).toBeGreaterThan(LOG_BODY_LIMIT);
    expectError(await storesNothing(() => api.post(`/logs/${jobId}`, { lines }, { token: dev })), 413, "PAYLOAD_TOO_LARGE");
  });

  const good = { stream: "stdout", data: "ok" };
  const badBodies: Array<[string, unknown, string]> = [
    ["one bad stream in the batch", { lines: [good, { stream: "STDOUT", data: "x" }] }, "body.lines.1.stream"],
    ["a ts without microseconds", { lines: [good, { ts: "2026-11-26T09:41:10.123Z", stream: "stdout", data: "x" }] }, "body.lines.1.ts"],
    ["a line over 16 KiB", { lines: [{ stream: "stderr", data: "x".repeat(LOG_LIMITS.lineBytes + 1) }] }, "body.lines.0.data"],
    ["NUL in a line", { lines: [{ stream: "stdout", data: "a\u0000b" }] }, "body.lines.0.data"],
    ["more than 5,000 lines", { lines: Array.from({ length: LOG_LIMITS.linesPerCall + 1 }, () => good) }, "body.lines"],
    ["no lines field", { line: [good] }, "body.lines"],
    ["data not a string", { lines: [{ stream: "stdout", data: 5 }] }, "body.lines.0.data"],
  ];
  it.each(badBodies)("%s → 400 BAD_USER_INPUT, nothing stored", async (_label, body, path) => {
    const jobId = await newJobId();
    const res = await storesNothing(() => api.post(`/logs/${jobId}`, body, { token: dev }));
    expectError(res, 400, "BAD_USER_INPUT");
    expect(problemPaths(res)).toContain(path);
  });

  it("an unknown job → 404, not a UUID → 400: nothing stored", async () => {
    const body = { lines: [good] };
    expectError(await storesNothing(() => api.post("/logs/00000000-0000-4000-8000-000000000000", body, { token: dev })), 404, "NOT_FOUND");
    const bad = await storesNothing(() => api.post("/logs/job-1", body, { token: dev }));
    expectError(bad, 400, "BAD_USER_INPUT");
    expect(problemPaths(bad)).toEqual(["params.jobId"]);
  });

  it("a viewer → 403, no token → 401: nothing stored", async () => {
    const jobId = await newJobId();
    expectError(await storesNothing(() => api.post(`/logs/${jobId}`, { lines: [good] }, { token: viewer })), 403, "FORBIDDEN");
    expectError(await storesNothing(() => api.post(`/logs/${jobId}`, { lines: [good] })), 401, "UNAUTHENTICATED");
  });

  it("malformed JSON → 400, a wrong Content-Type → 415: nothing stored", async () => {
    const jobId = await newJobId();
    expectError(await storesNothing(() => api.post(`/logs/${jobId}`, '{"lines": [', { token: dev })), 400, "BAD_USER_INPUT");
    const text = JSON.stringify({ lines: [good] });
    const res = await storesNothing(() => api.post(`/logs/${jobId}`, text, { token: dev, headers: { "content-type": "text/plain" } }));
    expectError(res, 415, "BAD_USER_INPUT");
  });
});

describe("GET /api/logs/:jobId", () => {
  let jobId: string;
  const ts = (n: number) => `2026-11-26T09:41:10.${String(n).padStart(6, "0")}Z`;

  beforeAll(async () => {
    jobId = await newJobId();
    const lines = Array.from({ length: 6 }, (_, i) => ({ ts: ts(i + 1), stream: i % 2 ? "stderr" : "stdout", data: `line ${i + 1}` }));
    expect((await api.post(`/logs/${jobId}`, { lines }, { token: dev })).status).toBe(201);
  });

  const tsOf = (res: RestResponse) => res.body.items.map((l: { ts: string }) => l.ts);

  it("oldest first", async () => {
    const res = await api.get(`/logs/${jobId}`, { token: viewer });
    expect(tsOf(res)).toEqual([1, 2, 3, 4, 5, 6].map(ts));
    expect(res.body.items[0]).toEqual({ jobId, ts: ts(1), stream: "stdout", data: "line 1" });
  });

  it("?stream= filters, ?since= is inclusive, and they combine", async () => {
    expect(tsOf(await api.get(`/logs/${jobId}`, { token: viewer, query: { stream: "stderr" } }))).toEqual([2, 4, 6].map(ts));
    expect(tsOf(await api.get(`/logs/${jobId}`, { token: viewer, query: { since: ts(4) } }))).toEqual([4, 5, 6].map(ts));
    expect(tsOf(await api.get(`/logs/${jobId}`, { token: viewer, query: { since: ts(4), stream: "stdout" } }))).toEqual([ts(5)]);
  });

  it("pages with limit and cursor; the cursor is GraphQL's", async () => {
    const first = await api.get(`/logs/${jobId}`, { token: viewer, query: { limit: "4" } });
    expect(tsOf(first)).toEqual([1, 2, 3, 4].map(ts));
    const gql = await t.gql(LogsDocument, { jobId, first: 4 }, { token: viewer });
    expect(first.body.nextCursor).toBe(gql.data!.logs.pageInfo.endCursor);
    const next = await api.get(`/logs/${jobId}`, { token: viewer, query: { limit: "4", cursor: first.body.nextCursor } });
    expect(tsOf(next)).toEqual([5, 6].map(ts));
    expect(next.body.nextCursor).toBeNull();
  });

  it("a job without lines is an empty list; an unknown job → 404", async () => {
    expect((await api.get(`/logs/${await newJobId()}`, { token: viewer })).body).toEqual({ items: [], nextCursor: null });
    expectError(await api.get("/logs/00000000-0000-4000-8000-000000000000", { token: viewer }), 404, "NOT_FOUND");
  });

  it.each([
    ["stream=STDOUT", { stream: "STDOUT" }, "query.stream"],
    ["since without microseconds", { since: "2026-11-26T09:41:10Z" }, "query.since"],
    ["limit=abc", { limit: "abc" }, "query.limit"],
  ])("%s → 400", async (_label, query, path) => {
    const res = await api.get(`/logs/${jobId}`, { token: viewer, query });
    expectError(res, 400, "BAD_USER_INPUT");
    expect(problemPaths(res)).toEqual([path]);
  });

  it("not a UUID → 400; no token → 401", async () => {
    expectError(await api.get("/logs/abc", { token: viewer }), 400, "BAD_USER_INPUT");
    expectError(await api.get(`/logs/${jobId}`), 401, "UNAUTHENTICATED");
  });
});
