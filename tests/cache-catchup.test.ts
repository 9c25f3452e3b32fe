// The cache converges on DynamoDB after the two faults that lose in-memory
// cache writes, with real stores and real HTTP:
// (a) PostgreSQL unreachable (its TCP path cut by a proxy) during a burst of
//     writes over GraphQL; it comes back and, without a restart, every job and
//     line DynamoDB has is in the cache, those other writers made included;
// (b) the server process SIGKILLed mid-burst while its cache writes are held
//     back; restarted, it finds every job and line DynamoDB has.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { findFreePort } from "../src/infra/net";
import { AppendJobLogsDocument, JobDocument, JobsDocument, LoginDocument, LogsDocument, SendCommandForJobDocument, SetJobStatusDocument } from "./generated/graphql";
import { createUserWithToken, createVm, TEST_PASSWORD } from "./support/factories";
import { putJobItem, putLogItem } from "./support/fixtures";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy";
import { startTestServer, type TestServer } from "./support/test-server";

const ROOT = path.resolve(import.meta.dirname, "..");
const CONVERGE = { timeout: 60_000, interval: 250 };

/** Every job (id:status) and line (jobId|ts|data) DynamoDB holds under this prefix. */
async function dynamoState(t: TestServer): Promise<{ jobs: string[]; lines: string[] }> {
  const scan = async (table: string) => {
    const items: Record<string, string>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await t.stores.dynamo.doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
      items.push(...((out.Items ?? []) as Record<string, string>[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  };
  const jobs = (await scan(t.stores.tables.jobs)).map((j) => `${j.jobId}:${j.status}`).sort();
  const lines = (await scan(t.stores.tables.logs)).map((l) => `${l.jobId}|${l.ts}|${l.data}`).sort();
  return { jobs, lines };
}

async function cacheState(db: pg.Client): Promise<{ jobs: string[]; lines: string[] }> {
  const jobs = (await db.query<{ k: string }>("SELECT id::text || ':' || status AS k FROM jobs")).rows.map((r) => r.k).sort();
  const lines = (
    await db.query<{ k: string }>(
      `SELECT job_id::text || '|' || to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '|' || data AS k FROM job_logs`,
    )
  ).rows
    .map((r) => r.k)
    .sort();
  return { jobs, lines };
}

interface Burst {
  jobs: string[];
  errors: unknown[];
  done: Promise<void>;
}

/** sendCommand, appendJobLogs (5 lines), and for every other job setJobStatus, `n` times, one after another. */
function burst(gql: (doc: never, vars: never) => Promise<{ data?: unknown; errors?: unknown[] }>, vmId: string, n: number, tolerateErrors = false): Burst {
  const state: Burst = { jobs: [], errors: [], done: Promise.resolve() };
  const call = async <R,>(doc: unknown, vars: unknown): Promise<R | undefined> => {
    try {
      const out = await gql(doc as never, vars as never);
      if (out.errors) state.errors.push(out.errors);
      return out.data as R | undefined;
    } catch (error) {
      if (!tolerateErrors) throw error;
      state.errors.push(error);
      return undefined;
    }
  };
  state.done = (async () => {
    for (let i = 0; i < n; i++) {
      const sent = await call<{ sendCommand: { job: { id: string } } }>(SendCommandForJobDocument, { input: { vmId, command: `step ${i}` } });
      const jobId = sent?.sendCommand.job.id;
      if (!jobId) continue;
      state.jobs.push(jobId);
      await call(AppendJobLogsDocument, {
        jobId,
        lines: Array.from({ length: 5 }, (_, k) => ({ stream: k % 2 ? "STDERR" : "STDOUT", data: `job ${i} line ${k}` })),
      });
      if (i % 2 === 0) await call(SetJobStatusDocument, { id: jobId, status: i % 4 === 0 ? "SUCCESS" : "FAILED" });
    }
  })();
  return state;
}

async function until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("(a) PostgreSQL unreachable during a burst over GraphQL", () => {
  let t: TestServer;
  let proxy: TcpProxy;
  let db: pg.Client;
  let dev: { token: string; email: string };

  beforeAll(async () => {
    const admin = new URL(inject("postgresAdminUrl"));
    proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    // Every Postgres connection of the server (Prisma, the stream's lock session) goes through the proxy.
    t = await startTestServer(
      { CACHE_STREAM: "on" },
      {
        prismaUrl: (url) => {
          const viaProxy = new URL(url);
          viaProxy.hostname = "127.0.0.1";
          viaProxy.port = String(proxy.port);
          return viaProxy.toString();
        },
      },
    );
    const created = await createUserWithToken(t, "dev");
    dev = { token: created.token, email: created.user.email };
    db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await proxy?.restore();
    await db?.end();
    await t?.close();
    await proxy?.close();
  });

  it("writes and reads keep working from DynamoDB, sign-in says SERVICE_UNAVAILABLE, and the cache converges once it is back", async () => {
    const vm = await createVm(t, dev.token);
    const gql = ((doc: never, vars: never) => t.gql(doc, vars, { token: dev.token })) as never;
    const writes = burst(gql, vm.id, 30);
    await until(() => writes.jobs.length >= 5);
    await proxy.cut();

    // While it is cut (the burst goes on):
    const ready = await fetch(`${t.url}/readyz`);
    expect(await ready.json()).toEqual({ status: "degraded", stores: { postgres: "down", dynamodb: "up" } });
    const login = await t.gql(LoginDocument, { email: dev.email, password: TEST_PASSWORD });
    expect(login.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
    // Another instance's writes, which only the stream can bring.
    const foreign = await putJobItem(t, { vmId: vm.id, startedAt: new Date(), status: "running" });
    await putLogItem(t, { jobId: foreign, ts: "2026-11-26T09:00:00.000000Z", data: "written elsewhere" });

    await until(() => writes.jobs.length >= 20);
    const during = writes.jobs[writes.jobs.length - 2]!;
    const job = await t.gql(JobDocument, { id: during }, { token: dev.token });
    expect(job.errors).toBeUndefined();
    expect(job.data!.job!.id).toBe(during);
    const foreignJob = await t.gql(JobDocument, { id: foreign }, { token: dev.token });
    expect(foreignJob.data!.job).toMatchObject({ id: foreign, status: "RUNNING" });
    const listed = await t.gql(JobsDocument, { filter: { vmId: vm.id }, first: 100 }, { token: dev.token });
    expect(listed.errors).toBeUndefined();
    expect(listed.data!.jobs.edges.map((e) => e.node.id)).toEqual(expect.arrayContaining([foreign, ...writes.jobs.slice(0, 20)]));
    const logs = await t.gql(LogsDocument, { jobId: foreign }, { token: dev.token });
    expect(logs.data!.logs.edges.map((e) => e.node.data)).toEqual(["written elsewhere"]);

    await writes.done;
    expect(writes.errors).toEqual([]);
    expect(writes.jobs).toHaveLength(30);
    const expected = await dynamoState(t);
    expect(expected.jobs).toHaveLength(31);
    expect(expected.lines).toHaveLength(30 * 5 + 1);
    // Postgres is still cut: whatever the cache holds, it cannot hold it all.
    expect((await cacheState(db)).lines.length).toBeLessThan(expected.lines.length);

    await proxy.restore();
    await expect.poll(() => cacheState(db), CONVERGE).toEqual(expected);
    await expect.poll(async () => ((await (await fetch(`${t.url}/readyz`)).json()) as { status: string }).status, CONVERGE).toBe("ready");
    expect((await t.gql(LoginDocument, { email: dev.email, password: TEST_PASSWORD })).errors).toBeUndefined();
  }, 120_000);
});

describe("(b) the server SIGKILLed mid-burst, then restarted", () => {
  let t: TestServer;
  let db: pg.Client;
  let token: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // In-process only for users, tokens and the stores' handles; the server under test is a child process.
    t = await startTestServer();
    token = (await createUserWithToken(t, "dev")).token;
    db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await db?.end();
    await t?.close();
  });

  async function startChild(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
    const port = await findFreePort();
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !["AWS_REGION", "PURGE_CRON"].includes(k)));
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: ROOT,
      env: {
        ...clean,
        NODE_ENV: "test",
        LOG_LEVEL: "warn",
        HOST: "127.0.0.1",
        PORT: String(port),
        DATABASE_URL: t.databaseUrl,
        DYNAMODB_ENDPOINT: t.dynamoEndpoint,
        DYNAMODB_TABLE_PREFIX: t.tablePrefix,
        JWT_SECRET: t.config.jwtSecret!,
        CACHE_STREAM: "on",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    const url = `http://127.0.0.1:${port}`;
    await expect
      .poll(() => fetch(`${url}/readyz`).then((r) => r.status, () => 0), { timeout: 60_000, interval: 250 })
      .toBe(200);
    return { child, url, output: () => output };
  }

  const gqlAt = (url: string) =>
    (async (doc: never, variables: never) => {
      const { print } = await import("graphql");
      const res = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: print(doc), variables }),
      });
      return (await res.json()) as { data?: unknown; errors?: unknown[] };
    }) as never;

  it("the restarted server's stream brings every job and line DynamoDB has into the cache", async () => {
    const vm = await createVm(t, token);
    const first = await startChild();
    // The first process's cache writes (write-behind and stream alike) wait
    // behind this lock, so they are still in its memory when it dies.
    const blocker = new pg.Client({ connectionString: t.databaseUrl });
    await blocker.connect();
    await blocker.query("BEGIN; LOCK TABLE jobs IN EXCLUSIVE MODE");
    try {
      const writes = burst(gqlAt(first.url), vm.id, 40, true);
      await until(() => writes.jobs.length >= 10);
      first.child.kill("SIGKILL");
      await writes.done;
      await new Promise<void>((resolve) => (first.child.exitCode !== null || first.child.signalCode !== null ? resolve() : first.child.once("exit", () => resolve())));
    } finally {
      await blocker.query("ROLLBACK");
      await blocker.end();
    }

    const expected = await dynamoState(t);
    expect(expected.jobs.length).toBeGreaterThanOrEqual(10);
    const before = await cacheState(db);
    // Lost with the process: DynamoDB has rows the cache does not.
    expect(before.jobs.length).toBeLessThan(expected.jobs.length);

    // The killed leader's lock went with its connection: the new process takes over and replays.
    const second = await startChild();
    try {
      await expect.poll(() => cacheState(db), CONVERGE).toEqual(expected);
    } finally {
      second.child.kill("SIGTERM");
      await new Promise((resolve) => second.child.once("exit", resolve));
    }
  }, 180_000);
});
