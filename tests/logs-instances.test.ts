// A job's log across two API instances on the same PostgreSQL and DynamoDB
// Local: every acknowledged line is stored, at its own ts, in one order that
// keeps each writer's order; a finished job's log is closed on both.
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../src/infra/net";
import { StoreCallCounter } from "../src/infra/store-calls";
import { JobRepository } from "../src/jobs/job.repository";
import { storedLogItems } from "./support/fixtures";
import { spawnServer, waitUntilReady } from "./support/server-process";
import { AppendJobLogsDocument, SetJobStatusDocument, type LogLineInput } from "./generated/graphql";
import { storedCounts } from "./support/counts";
import { createUserWithToken, createVm, sendCommand } from "./support/factories";
import { restClient } from "./support/rest";
import { startPeerServer, startTestServer, type TestServer } from "./support/test-server";

let a: TestServer;
let b: TestServer;
let dev: string;

beforeAll(async () => {
  a = await startTestServer();
  b = await startPeerServer(a);
  dev = (await createUserWithToken(a, "dev")).token;
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const newJobId = async () => (await sendCommand(a, dev, (await createVm(a, dev)).id)).job.id;

async function append(t: TestServer, jobId: string, lines: LogLineInput[]) {
  const result = await t.gql(AppendJobLogsDocument, { jobId, lines }, { token: dev });
  return result;
}

/** The job's lines as DynamoDB holds them, in ts order. */
async function stored(jobId: string): Promise<Array<{ ts: string; data: string }>> {
  return (await storedLogItems(a, jobId)).map((item) => ({ ts: String(item.ts), data: String(item.data) }));
}

const logState = (jobId: string) => a.server.container.repositories.jobs.getLogState(jobId);

/** A claim as an append makes it, with no lines: its writer is caught between the claim and its next write. */
async function claim(jobs: JobRepository, jobId: string, claimId: string, range: { first: string; last: string }) {
  const state = (await jobs.getLogState(jobId))!;
  return a.server.container.repositories.logLines.write([], jobs.logClaim(jobId, claimId, range.first, range.last, state));
}

/** The job's pending log claims as its item holds them, read without taking any over. */
async function pendingClaims(jobId: string): Promise<Record<string, { first: string; expiresAt: number }>> {
  const out = await a.stores.dynamo.doc.send(new GetCommand({ TableName: a.stores.tables.jobs, Key: { jobId }, ConsistentRead: true }));
  return out.Item?.logPending ?? {};
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lines are named "<writer>:<n>"; each writer's lines, in stored order, must be 0, 1, 2, ... */
function expectEachWriterInOrder(lines: Array<{ data: string }>) {
  const byWriter = new Map<string, number[]>();
  for (const { data } of lines) {
    const [writer, n] = data.split(":");
    byWriter.set(writer!, [...(byWriter.get(writer!) ?? []), Number(n)]);
  }
  for (const [, ns] of byWriter) expect(ns).toEqual(ns.map((_, i) => i));
}

const batch = (writer: string, from: number, count: number, ts: string): LogLineInput[] =>
  Array.from({ length: count }, (_, i) => ({ ts, stream: "STDOUT" as const, data: `${writer}:${from + i}` }));

describe("appendJobLogs on two instances", () => {
  it("20 appends at once, 10 through each instance, 20 lines each with one ts: all 400 stored, distinct, each batch in order", async () => {
    const jobId = await newJobId();
    const ts = "2026-11-26T12:00:00.000000Z";
    const calls = [a, b].map((t) => new StoreCallCounter({ dynamo: t.stores.dynamo.raw }));
    const results = await Promise.all(Array.from({ length: 20 }, (_, k) => append(k % 2 ? b : a, jobId, batch(`w${k}`, 0, 20, ts))));
    for (const r of results) expect(r.errors).toBeUndefined();
    expect(results.reduce((n, r) => n + r.data!.appendJobLogs.accepted, 0)).toBe(400);
    const count = (op: string) => calls.reduce((n, c) => n + c.count("dynamodb", op), 0);
    calls.forEach((c) => c.detach());
    // Per append: one transaction of its claim and its lines, plus one per race it lost to the other instance, and one release.
    expect(count("TransactWriteItems")).toBeGreaterThanOrEqual(20);
    expect(count("UpdateItem")).toBe(20);

    const lines = await stored(jobId);
    expect(lines).toHaveLength(400);
    expect(new Set(lines.map((l) => l.ts)).size).toBe(400);
    expectEachWriterInOrder(lines);
    // Each append's range is its own: its last line is what it acknowledged, and no other batch's line falls inside it.
    for (const r of results) expect(lines.some((l) => l.ts === r.data!.appendJobLogs.lastTs)).toBe(true);
    const batches = lines.map((l) => l.data.split(":")[0]);
    expect(batches.filter((w, i) => i === 0 || w !== batches[i - 1])).toHaveLength(20);
    // Every append released its claim: the log is complete up to its last line.
    expect(await logState(jobId)).toMatchObject({ logClaimedTs: lines.at(-1)!.ts, logCompleteTs: lines.at(-1)!.ts });
  });

  it("two steady writers, one per instance, 30 batches of 20 with the same ts per batch: all 1,200 stored, each writer's order kept", async () => {
    const jobId = await newJobId();
    const writer = async (t: TestServer, name: string) => {
      let acknowledged = 0;
      for (let k = 0; k < 30; k++) {
        const ts = `2026-11-26T13:00:${String(k).padStart(2, "0")}.000000Z`;
        const r = await append(t, jobId, batch(name, k * 20, 20, ts));
        expect(r.errors).toBeUndefined();
        acknowledged += r.data!.appendJobLogs.accepted;
      }
      return acknowledged;
    };
    const acknowledged = await Promise.all([writer(a, "a"), writer(b, "b")]);
    expect(acknowledged).toEqual([600, 600]);

    const lines = await stored(jobId);
    expect(lines).toHaveLength(1200);
    expect(new Set(lines.map((l) => l.ts)).size).toBe(1200);
    expectEachWriterInOrder(lines);
  });

  it("a line sent with a ts before the job's last line, through the other instance, is stored 1 µs after it", async () => {
    const jobId = await newJobId();
    const late = await append(a, jobId, [{ ts: "2026-11-26T14:00:00.000000Z", stream: "STDOUT", data: "late" }]);
    expect(late.errors).toBeUndefined();
    const early = await append(b, jobId, [{ ts: "2026-11-26T13:59:59.000000Z", stream: "STDOUT", data: "early" }]);
    expect(early.data!.appendJobLogs.lastTs).toBe("2026-11-26T14:00:00.000001Z");
    expect(await stored(jobId)).toEqual([
      { ts: "2026-11-26T14:00:00.000000Z", data: "late" },
      { ts: "2026-11-26T14:00:00.000001Z", data: "early" },
    ]);
  });
});

describe("the watermark", () => {
  it("stays below a range another instance has claimed and not yet written, and passes it once released", async () => {
    const jobId = await newJobId();
    expect((await append(a, jobId, batch("x", 0, 1, "2026-11-26T17:00:00.000000Z"))).errors).toBeUndefined();
    // A writer on instance a, caught between its claim and its write.
    const jobs = a.server.container.repositories.jobs;
    const slow = { first: "2026-11-26T17:00:01.000000Z", last: "2026-11-26T17:00:01.000009Z" };
    expect(await claim(jobs, jobId, "slow-writer", slow)).toEqual({ outcome: "written" });

    const after = await append(b, jobId, batch("y", 0, 3, "2026-11-26T17:00:00.000000Z"));
    expect(after.data!.appendJobLogs.lastTs).toBe("2026-11-26T17:00:01.000012Z");
    expect(await logState(jobId)).toMatchObject({ logClaimedTs: "2026-11-26T17:00:01.000012Z", logCompleteTs: "2026-11-26T17:00:00.999999Z" });

    await jobs.releaseLogRange(jobId, "slow-writer");
    expect(await logState(jobId)).toMatchObject({ logCompleteTs: "2026-11-26T17:00:01.000012Z" });
  });
});

describe("a finished job's log is closed on every instance", () => {
  it.each(["SUCCESS", "FAILED"] as const)("after setJobStatus %s on one instance, an append through the other is CONFLICT (GraphQL) and 409 (REST), nothing stored", async (status) => {
    const jobId = await newJobId();
    expect((await append(a, jobId, batch("before", 0, 2, "2026-11-26T15:00:00.000000Z"))).errors).toBeUndefined();
    const finished = await a.gql(SetJobStatusDocument, { id: jobId, status }, { token: dev });
    expect(finished.errors).toBeUndefined();

    const before = await storedCounts(a);
    const gql = await append(b, jobId, batch("after", 0, 3, "2026-11-26T15:00:01.000000Z"));
    expect(gql.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const rest = await restClient(b).post(`/logs/${jobId}`, { lines: [{ stream: "stdout", data: "after" }] }, { token: dev });
    expect(rest.status).toBe(409);
    expect(rest.body.error.code).toBe("CONFLICT");
    await b.server.container.cache.writer.idle();
    expect(await storedCounts(a)).toEqual(before);
    expect((await stored(jobId)).map((l) => l.data)).toEqual(["before:0", "before:1"]);
  });

  it("appends racing setJobStatus: each is either acknowledged with every line stored, or CONFLICT with none", async () => {
    const jobId = await newJobId();
    const ts = "2026-11-26T16:00:00.000000Z";
    const appends = Array.from({ length: 10 }, (_, k) => append(k % 2 ? b : a, jobId, batch(`r${k}`, 0, 30, ts)));
    const finished = await b.gql(SetJobStatusDocument, { id: jobId, status: "SUCCESS" }, { token: dev });
    expect(finished.errors).toBeUndefined();
    const results = await Promise.all(appends);

    const lines = await stored(jobId);
    for (const [k, r] of results.entries()) {
      const mine = lines.filter((l) => l.data.startsWith(`r${k}:`));
      if (r.errors) {
        expect(r.errors[0]!.extensions?.code).toBe("CONFLICT");
        expect(mine).toHaveLength(0);
      } else {
        expect(mine).toHaveLength(30);
        expect(mine.at(-1)!.ts).toBe(r.data!.appendJobLogs.lastTs);
      }
    }
    expect(new Set(lines.map((l) => l.ts)).size).toBe(lines.length);
    expectEachWriterInOrder(lines);
  });
});

describe("a writer that dies or stalls holding a claim", () => {
  it("SIGKILL mid-append on a third instance (its own process): other appends go on at once, and the watermark passes the dead claim once its lease runs out", async () => {
    const jobId = await newJobId();
    expect((await append(a, jobId, batch("before", 0, 2, "2026-11-27T10:00:00.000000Z"))).errors).toBeUndefined();
    const lease = 3_000;
    const port = await findFreePort();
    const writer = spawnServer({
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: a.databaseUrl,
      DYNAMODB_ENDPOINT: a.dynamoEndpoint,
      DYNAMODB_TABLE_PREFIX: a.tablePrefix,
      JWT_SECRET: a.config.jwtSecret!,
      CACHE_STREAM: "off",
      LOG_CLAIM_LEASE_MS: String(lease),
    });
    try {
      expect(await waitUntilReady(writer, port), writer.output()).toMatchObject({ status: "ready" });
      // 5,000 lines are 51 guarded writes: the kill lands between the claim and the last of them.
      const lines = Array.from({ length: 5_000 }, (_, i) => ({ stream: "STDOUT" as const, data: `dead:${i} ${"x".repeat(200)}` }));
      const request = fetch(`http://127.0.0.1:${port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${dev}` },
        body: JSON.stringify({ query: "mutation($jobId: ID!, $lines: [LogLineInput!]!) { appendJobLogs(jobId: $jobId, lines: $lines) { accepted } }", variables: { jobId, lines } }),
      }).catch((error: unknown) => error);
      let claims = await pendingClaims(jobId);
      for (let i = 0; i < 2_000 && Object.keys(claims).length === 0; i++) claims = await pendingClaims(jobId);
      writer.child.kill("SIGKILL");
      await writer.exited;
      expect(await request).toBeInstanceOf(Error);
      const [deadClaim] = Object.values(claims);
      expect(deadClaim).toBeDefined();
      // Killed before its release: the claim is still on the item, and fewer than 5,000 lines are stored.
      expect(Object.values(await pendingClaims(jobId))).toEqual([deadClaim]);
      const partial = (await stored(jobId)).filter((l) => l.data.startsWith("dead:"));
      expect(partial.length).toBeLessThan(5_000);

      // The log is not blocked: an append through another instance is acknowledged right away, after the dead range.
      const next = await append(b, jobId, batch("next", 0, 3, "2026-11-27T10:00:00.000000Z"));
      expect(next.errors).toBeUndefined();
      // A reader (here the log-state read the live tail uses) takes the dead claim over once its lease has run out.
      let state = await logState(jobId);
      for (let i = 0; i < 100 && state!.logCompleteTs !== state!.logClaimedTs; i++) {
        await sleep(100);
        state = await logState(jobId);
      }
      expect(state).toMatchObject({ logClaimedTs: next.data!.appendJobLogs.lastTs, logCompleteTs: next.data!.appendJobLogs.lastTs });
      expect(await pendingClaims(jobId)).toEqual({});
      const all = await stored(jobId);
      expect(all.map((l) => l.data.split(" ")[0])).toEqual([
        "before:0",
        "before:1",
        ...partial.map((l) => l.data.split(" ")[0]),
        "next:0",
        "next:1",
        "next:2",
      ]);
      expect(all.at(-3)!.ts > deadClaim!.first).toBe(true);
    } finally {
      if (writer.child.exitCode === null) writer.child.kill("SIGKILL");
    }
  }, 60_000);

  it("a stalled writer whose claim was taken over is fenced: its next write is refused and stores nothing", async () => {
    const jobId = await newJobId();
    // A writer on a's stores whose claims hold 200 ms without renewal.
    const stalled = new JobRepository(a.stores.dynamo.doc, a.stores.tables, { logClaimLeaseMs: 200 });
    const range = { first: "2026-11-27T11:00:00.000000Z", last: "2026-11-27T11:00:00.000001Z" };
    expect(await claim(stalled, jobId, "stalled", range)).toEqual({ outcome: "written" });
    const guard = stalled.logClaimGuard(jobId, "stalled");
    const logLines = a.server.container.repositories.logLines;
    const line = (ts: string, data: string) => ({ jobId, ts, stream: "stdout" as const, data });
    expect(await logLines.write([line(range.first, "in time")], guard())).toEqual({ outcome: "written" });

    await sleep(400);
    // Another instance's reader takes the expired claim over: the watermark passes the whole range.
    expect(await logState(jobId)).toMatchObject({ logClaimedTs: range.last, logCompleteTs: range.last });
    expect(await logLines.write([line(range.last, "too late")], guard())).toEqual({ outcome: "refused" });
    expect((await stored(jobId)).map((l) => l.data)).toEqual(["in time"]);
  });

  it("a live writer renews its claim while it writes, so a slow append is not taken over", async () => {
    const jobId = await newJobId();
    const slow = new JobRepository(a.stores.dynamo.doc, a.stores.tables, { logClaimLeaseMs: 3_000 });
    const range = { first: "2026-11-27T12:00:00.000000Z", last: "2026-11-27T12:00:00.000001Z" };
    expect(await claim(slow, jobId, "slow", range)).toEqual({ outcome: "written" });
    const { expiresAt } = (await pendingClaims(jobId)).slow!;
    const guard = slow.logClaimGuard(jobId, "slow");
    const logLines = a.server.container.repositories.logLines;
    await sleep(1_500);
    // Past a third of the lease: this write's guard renews the claim.
    expect(await logLines.write([{ jobId, ts: range.first, stream: "stdout", data: "one" }], guard())).toEqual({ outcome: "written" });
    expect((await pendingClaims(jobId)).slow!.expiresAt).toBeGreaterThanOrEqual(expiresAt + 1_500);
    await sleep(Math.max(0, expiresAt + 500 - Date.now()));
    // The first lease has run out, the renewed one has not: readers still wait for the claim.
    expect(await logState(jobId)).toMatchObject({ logCompleteTs: "2026-11-27T11:59:59.999999Z" });
    expect(await logLines.write([{ jobId, ts: range.last, stream: "stdout", data: "two" }], guard())).toEqual({ outcome: "written" });
    await slow.releaseLogRange(jobId, "slow");
    expect((await stored(jobId)).map((l) => l.data)).toEqual(["one", "two"]);
  }, 20_000);
});
