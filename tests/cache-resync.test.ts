// The full cache resync (src/cache/cache-resync.ts, the CLI src/cli/resync-cache.ts,
// the server's monitor src/cache/resync-monitor.ts) against a running server
// on the real stores: the cache emptied under it comes back equal to DynamoDB
// for the window, by the CLI or by the server itself; a run killed midway
// resumes from its state file; lists skip the cache, on every instance, while
// the resync lock is held; bad input exits non-zero with one line. No table
// holds any of it (the state is the lock, and a checkpoint file).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RESYNC_LOCK_CLASS, resyncLockKey } from "../src/cache/cache-resync";
import { ReadThrottle } from "../src/cache/resync-source";
import { ResyncStateFile, defaultStatePath } from "../src/cache/resync-state";
import { StoreCallCounter } from "../src/infra/store-calls";
import { JobsDocument } from "./generated/graphql";
import { createUserWithToken, createVm } from "./support/factories";
import { daysAgo, putJobItem, putLogItems, storedLogItems } from "./support/fixtures";
import { startPeerServer, startTestServer, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";

const ROOT = path.resolve(import.meta.dirname, "..");
const POLL = { timeout: 90_000, interval: 200 };
vi.setConfig({ testTimeout: 240_000 });

let t: TestServer;
let dataDir: string;
let token: string;
let db: pg.Client;
let vmId: string;
const window: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "vmo-resync-"));
  t = await startTestServer({ CACHE_STREAM: "on", DATA_DIR: dataDir });
  token = (await createUserWithToken(t, "dev")).token;
  db = new pg.Client({ connectionString: t.databaseUrl });
  await db.connect();
  vmId = (await createVm(t, token)).id;
  // 40 jobs of the window (started a day ago, so none is "too young to be cached"),
  // one with more lines than one write takes (5,000), and one job older than the window.
  for (let i = 0; i < 40; i++) {
    const id = await putJobItem(t, { vmId, startedAt: daysAgo(1, i * 1000), status: i % 3 ? "success" : "running" });
    window.push(id);
    const count = i === 7 ? 5_200 : i % 4;
    const base = Date.UTC(2026, 10, 26, 9, 0, 0) * 1000;
    const ts = (n: number) => `${new Date(Math.floor((base + n) / 1000)).toISOString().slice(0, 19)}.${String((base + n) % 1_000_000).padStart(6, "0")}Z`;
    await putLogItems(t, Array.from({ length: count }, (_, n) => ({ jobId: id, ts: ts(n), stream: n % 2 ? "stderr" : "stdout", data: `line ${n} of ${id}` })));
  }
  await putJobItem(t, { vmId, startedAt: daysAgo(9) });
  // The stream consumer caches what the stream brings, the old job too (readers
  // skip rows below the horizon; the purge deletes them). Until it has applied
  // these writes it may put a row back after a test empties the cache, so the
  // tests start once it has.
  const seeded = new Date();
  await waitFor(() => t.server.container.cache.stream!.caughtUpSince(seeded), Boolean, "the cache stream to apply the seeded writes");
}, 240_000);

afterAll(async () => {
  await db?.end();
  await t?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const monitor = () => t.server.container.cache.resync!;
const lockHeld = async () =>
  (
    await db.query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::int::oid AND objid = $2::int::oid) AS held`,
      [RESYNC_LOCK_CLASS, resyncLockKey(t.stores.tables.jobs)],
    )
  ).rows[0]!.held;

/** The window as DynamoDB holds it: each job's row and its lines. */
async function dynamoWindow(): Promise<string[]> {
  const out: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await t.stores.dynamo.doc.send(
      new QueryCommand({
        TableName: t.stores.tables.jobs,
        IndexName: "byStartedAt",
        KeyConditionExpression: "kind = :k AND startedAt >= :s",
        ExpressionAttributeValues: { ":k": "job", ":s": daysAgo(7).toISOString() },
        ExclusiveStartKey: start,
      }),
    );
    for (const job of page.Items ?? []) {
      out.push(`job ${job.jobId} ${job.vmId} ${job.status} ${new Date(job.startedAt).toISOString()}`);
      for (const line of await storedLogItems(t, job.jobId)) out.push(`line ${line.jobId} ${line.ts} ${line.stream} ${line.data}`);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out.sort();
}

/** The same, as the cache holds it (every row: nothing outside the window may be there either). */
async function cacheRows(): Promise<string[]> {
  const jobs = await db.query(`SELECT id::text, vm_id, status, started_at FROM jobs`);
  const lines = await db.query(
    `SELECT job_id::text, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts, stream, data FROM job_logs`,
  );
  return [
    ...jobs.rows.map((j) => `job ${j.id} ${j.vm_id} ${j.status} ${j.started_at.toISOString()}`),
    ...lines.rows.map((l) => `line ${l.job_id} ${l.ts} ${l.stream} ${l.data}`),
  ].sort();
}

const emptyCache = () => db.query("TRUNCATE job_logs, jobs");
/** A CLI run's checkpoint file (--state), one per test. */
const statePath = (name: string) => path.join(dataDir, `${name}.json`);
const state = (file: string) => new ResyncStateFile(file, t.stores.tables.jobs).read();

function resyncCli(args: string[] = [], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/resync-cache.ts", ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: t.databaseUrl,
      DYNAMODB_ENDPOINT: t.dynamoEndpoint,
      DYNAMODB_TABLE_PREFIX: t.tablePrefix,
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe("make resync-cache", () => {
  it("rebuilds the cache emptied under a running server: equal to DynamoDB for the window", async () => {
    await expect.poll(() => t.server.container.cache.stream!.status().role, POLL).toBe("leader");
    const expected = await dynamoWindow();
    expect(expected.filter((row) => row.startsWith("job "))).toHaveLength(40);
    await emptyCache();
    const file = statePath("rebuild");
    const run = resyncCli(["--state", file]);
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toMatch(/resync-cache: (done: \d+ jobs|done by the resync it waited for)/);
    expect(await cacheRows()).toEqual(expected);
    expect((await state(file))?.status).toBe("done");
  });

  it("killed midway, run again: resumes from its checkpoint, same result", async () => {
    await monitor().stop(); // the server would notice the empty cache and resync it itself; here the CLI must
    try {
      const expected = await dynamoWindow();
      await emptyCache();
      // A slow read rate so the kill lands midway.
      const file = statePath("killed");
      const first = resyncCli(["--read-rate", "4", "--state", file]);
      await expect.poll(async () => (await state(file))?.status, POLL).toBe("running");
      await expect.poll(async () => (await state(file))?.jobsDone ?? 0, POLL).toBeGreaterThanOrEqual(3);
      first.child.kill("SIGKILL");
      await first.exited;
      const killed = await state(file);
      expect(killed?.status).toBe("running");
      expect(killed!.jobsDone).toBeLessThan(40);
      expect(first.stderr()).toMatch(/resync-cache: jobs \d+\/4[01], lines \d+/);
      // The kill released the lock with the session (once PostgreSQL sees it gone).
      await expect.poll(() => lockHeld(), POLL).toBe(false);

      const second = resyncCli(["--state", file]);
      expect(await second.exited).toBe(0);
      expect(second.stderr()).toContain("(resumed)");
      expect(await cacheRows()).toEqual(expected);
      expect((await state(file))?.status).toBe("done");
    } finally {
      monitor().start();
    }
  });
});

describe("the server by itself", () => {
  it("finds the cache empty while DynamoDB has jobs of the window and resyncs it", async () => {
    const expected = await dynamoWindow();
    const own = defaultStatePath(dataDir, t.stores.tables.jobs);
    rmSync(own, { force: true });
    await emptyCache();
    // Nothing else writes the cache here: only the server's own resync can fill it.
    await expect.poll(() => cacheRows(), POLL).toEqual(expected);
    await expect.poll(() => monitor().pending(), POLL).toBe(false);
    expect((await state(own))?.status).toBe("done");
    expect(await lockHeld()).toBe(false);
  });

  it("while a resync holds its lock (here: a stand-in), lists on every instance skip the cache (DynamoDB answers them, complete)", async () => {
    const peer = await startPeerServer(t, { CACHE_STREAM: "on", DATA_DIR: dataDir });
    const holder = new pg.Client({ connectionString: t.databaseUrl });
    await holder.connect();
    const calls = new StoreCallCounter({ dynamo: t.stores.dynamo.raw });
    const peerCalls = new StoreCallCounter({ dynamo: peer.stores.dynamo.raw });
    const list = (server: TestServer) =>
      server.gql(JobsDocument, { filter: { vmId, startedAfter: daysAgo(2).toISOString() }, first: 50 }, { token });
    try {
      await expect.poll(() => peer.server.container.cache.resync!.pending(), POLL).toBe(false);
      await holder.query("SELECT pg_advisory_lock($1, $2)", [RESYNC_LOCK_CLASS, resyncLockKey(t.stores.tables.jobs)]);
      await expect.poll(() => monitor().pending(), POLL).toBe(true);
      await expect.poll(() => peer.server.container.cache.resync!.pending(), POLL).toBe(true);
      for (const [server, counter] of [[t, calls], [peer, peerCalls]] as const) {
        counter.reset();
        const listed = await list(server);
        expect(listed.data!.jobs.edges).toHaveLength(40);
        expect(counter.count("dynamodb", "Query")).toBeGreaterThan(0);
      }

      await holder.query("SELECT pg_advisory_unlock_all()");
      for (const server of [t, peer]) {
        await expect.poll(() => server.server.container.cache.resync!.pending(), POLL).toBe(false);
        await expect.poll(() => server.server.container.cache.stream!.lagMs() < 5_000, POLL).toBe(true);
      }
      for (const [server, counter] of [[t, calls], [peer, peerCalls]] as const) {
        counter.reset();
        const again = await list(server);
        expect(again.data!.jobs.edges).toHaveLength(40);
        expect(counter.count("dynamodb", "Query")).toBe(0);
      }
    } finally {
      calls.detach();
      peerCalls.detach();
      await holder.end();
      await peer.close();
    }
  });

  it("a resync found needed is distrusted from the moment it is found, before its run takes the lock", async () => {
    // trimmed() as the stream consumer calls it: the leader needs a resync; pending() says so at once.
    await expect.poll(() => t.server.container.cache.stream!.status().role, POLL).toBe("leader");
    const expected = await dynamoWindow();
    monitor().trimmed();
    expect(monitor().pending()).toBe(true);
    await expect.poll(() => monitor().pending(), POLL).toBe(false);
    expect(await cacheRows()).toEqual(expected);
    expect((await state(defaultStatePath(dataDir, t.stores.tables.jobs)))?.reason).toMatch(/trimmed/);
  });
  it("a consumer that takes the lead after the cache went unwritten longer than the stream keeps records resyncs", async () => {
    const stream = t.server.container.cache.stream!;
    await expect.poll(() => stream.status().role, POLL).toBe("leader");
    const expected = await dynamoWindow();
    const own = defaultStatePath(dataDir, t.stores.tables.jobs);
    rmSync(own, { force: true });
    await stream.stop();
    // As if every consumer had been away 25 h: the cache's newest write is older than the jobs DynamoDB has since.
    await db.query(`UPDATE jobs SET cached_at = now() - interval '25 hours'`);
    stream.start();
    await expect.poll(async () => (await state(own))?.status, POLL).toBe("done");
    expect((await state(own))?.reason).toMatch(/longer ago than the stream keeps records/);
    // The restarted consumer's replay from TRIM_HORIZON also cached the fixture's job older than the window (the purge's to drop).
    await db.query(`DELETE FROM jobs WHERE started_at < $1`, [daysAgo(7)]);
    expect(await cacheRows()).toEqual(expected);
    await expect.poll(() => monitor().pending(), POLL).toBe(false);
  });

  it("a server finds its own run cut short by a kill (its checkpoint file says running) and resumes it", async () => {
    const own = defaultStatePath(dataDir, t.stores.tables.jobs);
    const expected = await dynamoWindow();
    await new ResyncStateFile(own, t.stores.tables.jobs).write({
      status: "running",
      reason: "test: a run killed after 5 jobs",
      since: daysAgo(7).toISOString(),
      cursor: null,
      jobsDone: 5,
      linesDone: 0,
      startedAt: new Date().toISOString(),
      finishedAt: null,
    });
    await emptyCache();
    const peer = await startPeerServer(t, { CACHE_STREAM: "on", DATA_DIR: dataDir });
    try {
      expect(peer.server.container.cache.resync!.pending()).toBe(true);
      await expect.poll(async () => (await state(own))?.status, POLL).toBe("done");
      expect((await state(own))?.reason).toBe("test: a run killed after 5 jobs");
      expect(await cacheRows()).toEqual(expected);
      await expect.poll(() => peer.server.container.cache.resync!.pending(), POLL).toBe(false);
    } finally {
      await peer.close();
    }
  });
});

describe("bad input", () => {
  const oneLine = (text: string) => text.trim().split("\n");

  it("a bad --since exits non-zero with one line, and starts nothing", async () => {
    const file = statePath("bad-since");
    for (const since of ["yesterday", "2026-13-45", "2026-02-30", "2999-01-01"]) {
      const run = resyncCli(["--since", since, "--state", file]);
      expect(await run.exited).toBe(1);
      expect(oneLine(run.stderr())).toHaveLength(1);
      expect(run.stderr()).toMatch(/^resync-cache: --since /);
    }
    expect(existsSync(file)).toBe(false);
  });

  it("an unknown option or a bad --read-rate exits non-zero with one line", async () => {
    for (const args of [["--read-rate", "0"], ["--read-rate", "fast"], ["--bogus"]]) {
      const run = resyncCli(args);
      expect(await run.exited).toBe(1);
      expect(oneLine(run.stderr())).toHaveLength(1);
    }
  });

  it("an unreachable PostgreSQL or DynamoDB exits non-zero with one line naming it", async () => {
    const pgDown = resyncCli([], { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/postgres" });
    expect(await pgDown.exited).toBe(1);
    expect(oneLine(pgDown.stderr())).toEqual([expect.stringMatching(/^resync-cache: failed: cannot reach PostgreSQL at 127\.0\.0\.1:1/)]);
    const dynamoDown = resyncCli([], { DYNAMODB_ENDPOINT: "http://127.0.0.1:1" });
    expect(await dynamoDown.exited).toBe(1);
    expect(oneLine(dynamoDown.stderr())).toEqual([expect.stringMatching(/^resync-cache: failed: cannot (reach|read) DynamoDB at http:\/\/127\.0\.0\.1:1/)]);
  });
});

describe("the read throttle", () => {
  it("lets a call through when out of debt and makes the next wait for what it consumed", () => {
    let now = 0;
    const throttle = new ReadThrottle(100, () => now);
    expect(throttle.delayMs()).toBe(0);
    throttle.pay(250); // 100 in the bucket, 150 owed: 1.5 s at 100 units/s
    expect(throttle.delayMs()).toBe(1_500);
    now += 1_000;
    expect(throttle.delayMs()).toBe(500);
    now += 10_000; // a full bucket at most: one second's worth
    throttle.pay(150);
    expect(throttle.delayMs()).toBe(500);
    expect(throttle.spent).toBe(400);
  });
});
