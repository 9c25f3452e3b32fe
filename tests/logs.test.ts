// appendJobLogs and the log reads: order, microsecond timestamps, collisions,
// limits, and the same bytes from the cache and from DynamoDB.
import { randomUUID } from "node:crypto";
import { storedLogItems } from "./support/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreCallCounter } from "../src/infra/store-calls";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { AppendJobLogsDocument, JobLogsDocument, LogsDocument, SetJobStatusDocument, type LogLineInput, type LogsQuery } from "./generated/graphql";
import { cacheCount, dynamoCount } from "./support/counts";
import { beforeDynamoRequest } from "./support/faults";
import { createUserWithToken, createVm, sendCommand, stdoutLines } from "./support/factories";
import { startTestServer, type GraphQLResponse, type TestServer } from "./support/test-server";

let t: TestServer;
let dev: string;
let viewer: string;
let calls: StoreCallCounter;

beforeAll(async () => {
  t = await startTestServer();
  dev = (await createUserWithToken(t, "dev")).token;
  viewer = (await createUserWithToken(t, "viewer")).token;
  calls = new StoreCallCounter({ dynamo: t.stores.dynamo.raw, prisma: t.stores.prisma });
});
afterAll(async () => {
  calls?.detach();
  await t?.close();
});

const idle = () => t.server.container.cache.writer.idle();
const newJob = async () => (await sendCommand(t, dev, (await createVm(t, dev)).id)).job;
type Line = LogsQuery["logs"]["edges"][number]["node"];

async function append(jobId: string, lines: LogLineInput[]) {
  return t.gql(AppendJobLogsDocument, { jobId, lines }, { token: dev });
}

/** Every line through the logs query, page by page. */
async function readAll(jobId: string, first = 1000): Promise<Line[]> {
  const lines: Line[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const page: GraphQLResponse<LogsQuery> = await t.gql(LogsDocument, { jobId, first, after }, { token: viewer });
    expect(page.errors).toBeUndefined();
    lines.push(...page.data!.logs.edges.map((e) => e.node));
    if (!page.data!.logs.pageInfo.hasNextPage) return lines;
    after = page.data!.logs.pageInfo.endCursor ?? null;
  }
  throw new Error("too many pages");
}

/** Every line as DynamoDB holds it. */
async function dynamoLines(jobId: string): Promise<Line[]> {
  return (await storedLogItems(t, jobId)).map((i) => ({ jobId: i.jobId, ts: i.ts, stream: String(i.stream).toUpperCase() as Line["stream"], data: i.data }));
}

describe("appendJobLogs", () => {
  it("stores lines in order with microsecond timestamps, reads them back oldest first", async () => {
    const job = await newJob();
    const result = await append(job.id, [
      { ts: "2026-11-26T09:41:10.123456Z", stream: "STDOUT", data: "first" },
      { ts: "2026-11-26T09:41:10.123457Z", stream: "STDERR", data: "second ünïcödé 🚀" },
      { stream: "STDOUT", data: "" },
    ]);
    expect(result.errors).toBeUndefined();
    expect(result.data!.appendJobLogs.accepted).toBe(3);
    const lines = await readAll(job.id);
    expect(lines.map((l) => l.data)).toEqual(["first", "second ünïcödé 🚀", ""]);
    expect(lines[0]!.ts).toBe("2026-11-26T09:41:10.123456Z");
    expect(lines[2]!.ts).toBe(result.data!.appendJobLogs.lastTs);
    expect(lines[2]!.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it("reads timestamps whose fraction ends in zeros back from the cache with all 6 digits", async () => {
    const job = await newJob();
    const sent = ["2026-11-26T10:30:00.000000Z", "2026-11-26T10:30:00.000001Z", "2026-11-26T10:30:00.100000Z", "2026-11-26T10:30:00.120000Z", "2026-11-26T10:30:00.123450Z"];
    expect((await append(job.id, sent.map((ts) => ({ ts, stream: "STDOUT" as const, data: ts })))).errors).toBeUndefined();
    await idle();
    calls.reset();
    // logs(jobId) and job(id){ logs } (the job and its lines in one statement) both read the cache.
    expect((await readAll(job.id)).map((l) => l.ts)).toEqual(sent);
    const nested = await t.gql(JobLogsDocument, { id: job.id, first: 10 }, { token: viewer });
    expect(nested.errors).toBeUndefined();
    expect(nested.data!.job!.logs.edges.map((e) => e.node.ts)).toEqual(sent);
    expect(calls.count("dynamodb", "Query", new RegExp(t.stores.tables.logs))).toBe(0);
  });

  it("keeps 1,000 lines sent with one identical ts, in order, 1 µs apart; cache and DynamoDB agree byte for byte", async () => {
    const job = await newJob();
    const ts = "2026-11-26T09:41:10.999999Z";
    const lines = Array.from({ length: 1000 }, (_, i) => ({ ts, stream: (i % 3 ? "STDOUT" : "STDERR") as "STDOUT" | "STDERR", data: `line ${i} ✓` }));
    calls.reset();
    const result = await append(job.id, lines);
    expect(result.errors).toBeUndefined();
    expect(result.data!.appendJobLogs).toEqual({ accepted: 1000, lastTs: "2026-11-26T09:41:11.000998Z" });
    // 99 lines and the claim guard per TransactWriteItems.
    expect(calls.count("dynamodb", "TransactWriteItems")).toBe(11);

    await idle();
    calls.reset();
    const fromCache = await readAll(job.id, 300);
    expect(calls.count("dynamodb", "Query", new RegExp(t.stores.tables.logs))).toBe(0);
    const fromDynamo = await dynamoLines(job.id);
    expect(fromCache).toHaveLength(1000);
    expect(fromCache.map((l) => l.data)).toEqual(lines.map((l) => l.data));
    expect(fromCache[0]!.ts).toBe(ts);
    expect(fromCache[1]!.ts).toBe("2026-11-26T09:41:11.000000Z");
    expect(JSON.stringify(fromCache)).toBe(JSON.stringify(fromDynamo));
    // 11 transactions on the suite's one DynamoDB Local, which applies writes one at a time: 11 s alone, past 30 s
    // while the bench smoke's S4 runs on the same emulator (a clean-clone CI run). No time is asserted.
  }, 120_000);

  it("serves text that needs escaping exactly as sent, from the cache as from DynamoDB", async () => {
    const job = await newJob();
    const texts = ['say "hi"', "back\\slash \\u0041", "tab\there\nnew line\r", "\u0001\u001f\u007f", "😀 é ✓ \u2028", '["not", "json"]', "   ", "{}"];
    expect((await append(job.id, texts.map((data) => ({ stream: "STDERR" as const, data })))).errors).toBeUndefined();
    await idle();
    calls.reset();
    const fromCache = await readAll(job.id);
    expect(calls.count("dynamodb", "Query", new RegExp(t.stores.tables.logs))).toBe(0);
    expect(fromCache.map((l) => l.data)).toEqual(texts);
    expect(JSON.stringify(fromCache)).toBe(JSON.stringify(await dynamoLines(job.id)));
  });

  it("moves a line past lines already stored at its ts", async () => {
    const job = await newJob();
    const ts = "2026-11-26T10:00:00.000000Z";
    await append(job.id, [{ ts, stream: "STDOUT", data: "a" }, { ts, stream: "STDOUT", data: "b" }]);
    const second = await append(job.id, [{ ts, stream: "STDOUT", data: "c" }]);
    expect(second.data!.appendJobLogs.lastTs).toBe("2026-11-26T10:00:00.000002Z");
    expect((await readAll(job.id)).map((l) => [l.ts, l.data])).toEqual([
      [ts, "a"],
      ["2026-11-26T10:00:00.000001Z", "b"],
      ["2026-11-26T10:00:00.000002Z", "c"],
    ]);
  });

  it("concurrent appends to one job lose no line", async () => {
    const job = await newJob();
    const ts = "2026-11-26T11:00:00.000000Z";
    await Promise.all(
      Array.from({ length: 5 }, (_, k) => append(job.id, Array.from({ length: 30 }, (_, i) => ({ ts, stream: "STDOUT" as const, data: `${k}-${i}` })))),
    );
    const lines = await dynamoLines(job.id);
    expect(lines).toHaveLength(150);
    expect(new Set(lines.map((l) => l.ts)).size).toBe(150);
  });

  it("puts 100 lines and their job row in the cache with one statement", async () => {
    const job = await newJob();
    await idle();
    calls.reset();
    const lines = stdoutLines(100);
    expect((await append(job.id, lines)).errors).toBeUndefined();
    await idle();
    // The actor's row, then the write-behind's flush: job row and lines in one INSERT (no BEGIN / COMMIT around statements).
    expect(calls.calls.filter((c) => c.store === "postgres").map((c) => c.operation)).toEqual(["SELECT", "WITH"]);
    const [cached] = await t.stores.prisma.$queryRawUnsafe<Array<{ n: bigint }>>("SELECT count(*) AS n FROM job_logs WHERE job_id = $1::uuid", job.id);
    expect(Number(cached!.n)).toBe(100);
  });

  it("Job.logs and logs page the same lines; stream and since filter them", async () => {
    const job = await newJob();
    await append(job.id, [
      { ts: "2026-11-26T09:00:00.000001Z", stream: "STDOUT", data: "o1" },
      { ts: "2026-11-26T09:00:00.000002Z", stream: "STDERR", data: "e1" },
      { ts: "2026-11-26T09:00:00.000003Z", stream: "STDOUT", data: "o2" },
    ]);
    const viaJob = await t.gql(JobLogsDocument, { id: job.id, first: 2 }, { token: viewer });
    const viaLogs = await t.gql(LogsDocument, { jobId: job.id, first: 2 }, { token: viewer });
    expect(viaJob.data!.job!.logs).toEqual(viaLogs.data!.logs);
    const next = await t.gql(JobLogsDocument, { id: job.id, first: 2, after: viaJob.data!.job!.logs.pageInfo.endCursor }, { token: viewer });
    expect(next.data!.job!.logs.edges.map((e) => e.node.data)).toEqual(["o2"]);
    const stderr = await t.gql(LogsDocument, { jobId: job.id, stream: "STDERR" }, { token: viewer });
    expect(stderr.data!.logs.edges.map((e) => e.node.data)).toEqual(["e1"]);
    const since = await t.gql(LogsDocument, { jobId: job.id, since: "2026-11-26T09:00:00.000002Z" }, { token: viewer });
    expect(since.data!.logs.edges.map((e) => e.node.data)).toEqual(["e1", "o2"]);
  });
});

describe("appendJobLogs bad input stores nothing", () => {
  let jobId: string;
  beforeAll(async () => {
    jobId = (await newJob()).id;
  });

  const counts = async () => {
    await idle();
    return { dynamo: await dynamoCount(t, "logs"), cache: await cacheCount(t, "job_logs") };
  };

  const cases: Array<[string, () => LogLineInput[]]> = [
    ["5,001 lines (cap 5,000)", () => Array.from({ length: 5001 }, () => ({ stream: "STDOUT" as const, data: "x" }))],
    [
      "one line over 16 KiB among valid ones",
      () => [{ stream: "STDOUT", data: "ok" }, { stream: "STDOUT", data: "x".repeat(16 * 1024 + 1) }, { stream: "STDOUT", data: "ok" }],
    ],
    ["a NUL character", () => [{ stream: "STDOUT", data: "ok" }, { stream: "STDOUT", data: "a\u0000b" }]],
  ];
  it.each(cases)("%s → BAD_USER_INPUT", async (_label, lines) => {
    const before = await counts();
    const result = await append(jobId, lines());
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await counts()).toEqual(before);
  });

  it("a line of exactly 16 KiB (UTF-8) is accepted", async () => {
    const result = await append(jobId, [{ stream: "STDOUT", data: "é".repeat(8 * 1024) }]);
    expect(result.errors).toBeUndefined();
  });

  it.each(["2026-11-26T09:41:10.123Z", "2026-11-26 09:41:10.123456Z", "2026-02-30T09:41:10.123456Z", "yesterday", "0000-01-01T00:00:00.000000Z"])(
    "a malformed LogTimestamp %s → BAD_USER_INPUT",
    async (ts) => {
      const before = await counts();
      const result = await append(jobId, [{ stream: "STDOUT", data: "ok" }, { ts, stream: "STDOUT", data: "bad" }]);
      expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(await counts()).toEqual(before);
    },
  );

  it("an unknown job → NOT_FOUND; a job id that is not a UUID → BAD_USER_INPUT; a viewer → FORBIDDEN", async () => {
    const before = await counts();
    const unknown = await append(randomUUID(), [{ stream: "STDOUT", data: "x" }]);
    expect(unknown.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const malformed = await append("job-1", [{ stream: "STDOUT", data: "x" }]);
    expect(malformed.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const forbidden = await t.gql(AppendJobLogsDocument, { jobId, lines: [{ stream: "STDOUT", data: "x" }] }, { token: viewer });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await counts()).toEqual(before);
  });
});

describe("logs bad input", () => {
  it("a malformed cursor, since or job id → BAD_USER_INPUT; an unknown job → NOT_FOUND", async () => {
    const job = await newJob();
    expect((await t.gql(LogsDocument, { jobId: job.id, after: "nope" }, { token: viewer })).errors?.[0]?.extensions?.code).toBe(
      "BAD_USER_INPUT",
    );
    expect((await t.gql(LogsDocument, { jobId: job.id, since: "today" }, { token: viewer })).errors?.[0]?.extensions?.code).toBe(
      "BAD_USER_INPUT",
    );
    expect((await t.gql(LogsDocument, { jobId: "x" }, { token: viewer })).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect((await t.gql(LogsDocument, { jobId: randomUUID() }, { token: viewer })).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await t.gql(LogsDocument, { jobId: job.id, first: 1001 }, { token: viewer })).errors?.[0]?.extensions?.code).toBe(
      "BAD_USER_INPUT",
    );
  });
});

describe("the claim in the transaction of the first lines", () => {
  /** The job's item as DynamoDB holds it, read without taking any claim over. */
  const jobItem = async (jobId: string) =>
    (await t.stores.dynamo.doc.send(new GetCommand({ TableName: t.stores.tables.jobs, Key: { jobId }, ConsistentRead: true }))).Item!;
  const logState = (jobId: string) => t.server.container.repositories.jobs.getLogState(jobId);
  /** The DynamoDB calls since the last reset, in order (the stream reader's table lookups left out). */
  const dynamoCalls = () => calls.calls.filter((c) => c.store === "dynamodb" && c.operation !== "DescribeTable").map((c) => c.operation);
  const ts = (s: number, us = 0) => `2026-11-28T10:00:${String(s).padStart(2, "0")}.${String(us).padStart(6, "0")}Z`;

  it.each([
    [99, ["GetItem", "TransactWriteItems", "UpdateItem"]],
    [250, ["GetItem", "TransactWriteItems", "TransactWriteItems", "TransactWriteItems", "UpdateItem"]],
  ])("%i lines: the log's state read, the claim in the transaction of the first 99, a guarded one per 99 after, the release; every line stored, no claim left pending", async (count, expected) => {
    const job = await newJob();
    // The job's first append also looks for lines stored before claims existed; the second is the steady state.
    expect((await append(job.id, stdoutLines(1))).errors).toBeUndefined();
    calls.reset();
    const appended = await append(job.id, stdoutLines(count));
    expect(appended.errors).toBeUndefined();
    expect(dynamoCalls()).toEqual(expected);
    const lastTs = appended.data!.appendJobLogs.lastTs;
    expect((await dynamoLines(job.id)).map((l) => l.data)).toEqual(["line 0", ...stdoutLines(count).map((l) => l.data)]);
    expect((await jobItem(job.id)).logPending).toEqual({});
    expect(await logState(job.id)).toMatchObject({ logClaimedTs: lastTs, logCompleteTs: lastTs });
  });

  it("a claim refused because another writer claimed meanwhile: the batch is placed again after that claim, and the watermark waits for it", async () => {
    const job = await newJob();
    expect((await append(job.id, [{ ts: ts(0), stream: "STDOUT", data: "before" }])).errors).toBeUndefined();
    const { jobs, logLines } = t.server.container.repositories;
    const rival = { first: ts(2), last: ts(2, 9) };
    // Between this append's read of the log's state and its first transaction, another writer claims a range past the batch's ts and has not written it yet.
    const interposer = beforeDynamoRequest(t.stores.dynamo.raw, { operation: "TransactWriteItems" }, async () => {
      expect(await logLines.write([], jobs.logClaim(job.id, "rival", rival.first, rival.last, (await logState(job.id))!))).toEqual({ outcome: "written" });
    });
    calls.reset();
    const appended = await append(job.id, [1, 2, 3].map((k) => ({ ts: ts(1), stream: "STDOUT" as const, data: `mine:${k}` })));
    interposer.remove();
    expect(interposer.ran).toBe(true);
    expect(appended.errors).toBeUndefined();
    expect(appended.data!.appendJobLogs.lastTs).toBe(ts(2, 12));
    // Ours and the rival's read, the refused transaction, the rival's, the placed-again one, the release.
    expect(dynamoCalls().sort()).toEqual(["GetItem", "GetItem", "TransactWriteItems", "TransactWriteItems", "TransactWriteItems", "UpdateItem"]);
    expect((await dynamoLines(job.id)).map((l) => [l.ts, l.data])).toEqual([
      [ts(0), "before"],
      [ts(2, 10), "mine:1"],
      [ts(2, 11), "mine:2"],
      [ts(2, 12), "mine:3"],
    ]);
    expect(await logState(job.id)).toMatchObject({ logClaimedTs: ts(2, 12), logCompleteTs: ts(1, 999_999) });
    await jobs.releaseLogRange(job.id, "rival");
    expect(await logState(job.id)).toMatchObject({ logCompleteTs: ts(2, 12) });
  });

  it("a finished job: CONFLICT from the claim's own transaction, nothing stored and no claim made", async () => {
    const job = await newJob();
    expect((await append(job.id, stdoutLines(2))).errors).toBeUndefined();
    expect((await t.gql(SetJobStatusDocument, { id: job.id, status: "SUCCESS" }, { token: dev })).errors).toBeUndefined();
    await idle();
    const before = { dynamo: await dynamoCount(t, "logs"), cache: await cacheCount(t, "job_logs"), item: await jobItem(job.id) };
    calls.reset();
    const appended = await append(job.id, stdoutLines(250));
    expect(appended.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    // Refused whole: no guarded chunk follows, no release is needed.
    expect(dynamoCalls()).toEqual(["GetItem", "TransactWriteItems"]);
    await idle();
    expect({ dynamo: await dynamoCount(t, "logs"), cache: await cacheCount(t, "job_logs"), item: await jobItem(job.id) }).toEqual(before);
  });
});
