// The live tail across two instances on the same PostgreSQL, DynamoDB Local
// and Redis, with graphql-ws's own client: every line exactly once and in ts
// order, whichever instance stored it; resumption on the other instance;
// completion after the finished status.
import { randomBytes } from "node:crypto";
import { createClient, type Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { StoreCallCounter } from "../src/infra/store-calls";
import { AppendJobLogsDocument, DeleteUserDocument, SetJobStatusDocument, type LogLineInput } from "./generated/graphql";
import { storedCounts } from "./support/counts";
import { storedLogItems } from "./support/fixtures";
import { createUserWithToken, createVm, sendCommand } from "./support/factories";
import { readEventStream } from "./support/sse";
import { startTcpProxy } from "./support/tcp-proxy";
import { startPeerServer, startTestServer, type TestServer } from "./support/test-server";


const redis = { REDIS_URL: "redis://127.0.0.1:6379", REDIS_KEY_PREFIX: `test-${randomBytes(4).toString("hex")}:` };
let a: TestServer;
let b: TestServer;
let dev: string;
const clients: Client[] = [];

beforeAll(async () => {
  a = await startTestServer(redis);
  b = await startPeerServer(a, redis);
  dev = (await createUserWithToken(a, "dev")).token;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await b?.close();
  await a?.close();
});

function client(t: TestServer, token: string | null = dev, options: { onClose?: (code: number) => void } = {}): Client {
  const c = createClient({
    url: t.url.replace("http", "ws") + "/graphql",
    webSocketImpl: WebSocket,
    connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
    on: { closed: (event) => options.onClose?.((event as { code: number }).code) },
  });
  clients.push(c);
  return c;
}

const TAIL = `subscription Tail($jobId: ID!, $after: String, $stream: LogStream) {
  jobLogTail(jobId: $jobId, after: $after, stream: $stream) { cursor status lines { cursor node { ts stream data } } }
}`;

interface TailEvent {
  cursor: string | null;
  status: string;
  lines: Array<{ cursor: string; node: { ts: string; stream: string; data: string } }>;
}

/** A running subscription: its events so far, and how it ended. */
function follow(c: Client, variables: Record<string, unknown>) {
  const events: TailEvent[] = [];
  const errors: unknown[] = [];
  let done = false;
  const stop = c.subscribe<{ jobLogTail: TailEvent }>(
    { query: TAIL, variables },
    {
      next: (result) => (result.errors ? errors.push(...result.errors) : events.push(result.data!.jobLogTail)),
      // A refused subscription's `error` message carries a list of GraphQL errors; a closed socket, its CloseEvent.
      error: (error) => (Array.isArray(error) ? errors.push(...error) : errors.push(error)),
      complete: () => (done = true),
    },
  );
  return {
    events,
    errors,
    stop,
    get done() {
      return done;
    },
    lines: () => events.flatMap((e) => e.lines.map((l) => l.node.data)),
  };
}

async function until(condition: () => boolean, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const newJobId = async () => (await sendCommand(a, dev, (await createVm(a, dev)).id)).job.id;
const batch = (writer: string, from: number, count: number): LogLineInput[] =>
  Array.from({ length: count }, (_, i) => ({ stream: "STDOUT" as const, data: `${writer}:${from + i}` }));
const append = (t: TestServer, jobId: string, lines: LogLineInput[]) => t.gql(AppendJobLogsDocument, { jobId, lines }, { token: dev });

describe("jobLogTail over graphql-ws", () => {
  it("backlog, then lines stored through the other instance, then completion after the finished status", async () => {
    const jobId = await newJobId();
    expect((await append(a, jobId, batch("old", 0, 3))).errors).toBeUndefined();
    const tail = follow(client(a), { jobId });
    await until(() => tail.lines().length === 3, "the backlog");
    expect((await append(b, jobId, batch("new", 0, 5))).errors).toBeUndefined();
    await until(() => tail.lines().length === 8, "the live lines");
    expect((await b.gql(SetJobStatusDocument, { id: jobId, status: "SUCCESS" }, { token: dev })).errors).toBeUndefined();
    await until(() => tail.done, "completion");
    expect(tail.errors).toEqual([]);
    expect(tail.lines()).toEqual([...batch("old", 0, 3), ...batch("new", 0, 5)].map((l) => l.data));
    expect(tail.events.at(-1)!.status).toBe("SUCCESS");
    const ts = tail.events.flatMap((e) => e.lines.map((l) => l.node.ts));
    expect([...ts].sort()).toEqual(ts);
  });
});

const stored = async (jobId: string) => (await storedLogItems(a, jobId)).map((item) => String(item.data));

describe("the guarantee under the hard cases", () => {
  it("two instances append to one job at once: subscribers on both get every stored line exactly once, in ts order", async () => {
    const jobId = await newJobId();
    const tails = [a, a, b, b].map((t) => follow(client(t), { jobId }));
    await new Promise((r) => setTimeout(r, 300));
    const appends = await Promise.all(Array.from({ length: 12 }, (_, k) => append(k % 2 ? b : a, jobId, batch(`w${k}`, 0, 25))));
    for (const r of appends) expect(r.errors).toBeUndefined();
    expect((await a.gql(SetJobStatusDocument, { id: jobId, status: "FAILED" }, { token: dev })).errors).toBeUndefined();
    for (const tail of tails) await until(() => tail.done, "completion");
    const all = await stored(jobId);
    expect(all).toHaveLength(300);
    for (const tail of tails) {
      expect(tail.errors).toEqual([]);
      expect(tail.lines()).toEqual(all);
      expect(tail.events.at(-1)!.status).toBe("FAILED");
    }
  });

  it("never skips a line whose write finishes after a later-ts line was stored: the tail waits at the watermark", async () => {
    const jobId = await newJobId();
    const tail = follow(client(a), { jobId });
    await new Promise((r) => setTimeout(r, 200));
    // A writer on instance a claims a range and is slow to write it.
    const { jobs, logLines } = a.server.container.repositories;
    const slow = ["2030-01-01T00:00:00.000000Z", "2030-01-01T00:00:00.000001Z"];
    expect(await logLines.write([], jobs.logClaim(jobId, "slow", slow[0]!, slow[1]!, (await jobs.getLogState(jobId))!))).toEqual({ outcome: "written" });
    // Instance b appends after it and is done first.
    const later = await append(b, jobId, batch("later", 0, 3));
    expect(later.data!.appendJobLogs.lastTs! > slow[1]!).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(tail.lines()).toEqual([]);
    const guard = jobs.logClaimGuard(jobId, "slow");
    const slowLines = slow.map((ts, i) => ({ jobId, ts, stream: "stdout" as const, data: `slow:${i}` }));
    expect(await logLines.write(slowLines, guard())).toEqual({ outcome: "written" });
    await jobs.releaseLogRange(jobId, "slow");
    a.server.container.doorbell.ring(`log:${jobId}`);
    await until(() => tail.lines().length === 5, "every line");
    expect(tail.lines()).toEqual(["slow:0", "slow:1", "later:0", "later:1", "later:2"]);
  });

  it("a subscriber whose socket drops resumes on the other instance with its last cursor: no gap, no repeat", async () => {
    const jobId = await newJobId();
    const first = client(a);
    const tail = follow(first, { jobId });
    await new Promise((r) => setTimeout(r, 200));
    expect((await append(a, jobId, batch("x", 0, 10))).errors).toBeUndefined();
    await until(() => tail.lines().length === 10, "the first lines");
    await first.dispose();
    const cursor = tail.events.at(-1)!.cursor;
    expect((await append(b, jobId, batch("x", 10, 10))).errors).toBeUndefined();
    const resumed = follow(client(b), { jobId, after: cursor });
    expect((await append(a, jobId, batch("x", 20, 10))).errors).toBeUndefined();
    await until(() => resumed.lines().length === 20, "the rest after the cursor");
    expect([...tail.lines(), ...resumed.lines()]).toEqual(batch("x", 0, 30).map((l) => l.data));
    // The cursor works for Job.logs too.
    const page = await a.gql(`query($id: ID!, $after: String) { job(id: $id, consistency: STRONG) { logs(after: $after) { edges { node { data } } } } }`, { id: jobId, after: cursor }, { token: dev });
    expect((page.data as any).job.logs.edges.map((e: any) => e.node.data)).toEqual(batch("x", 10, 20).map((l) => l.data));
  });

  it("a slow consumer: its queue stays bounded, and past the bound it reads the store after its cursor, losing nothing", async () => {
    const jobId = await newJobId();
    const devActor = { id: "00000000-0000-4000-8000-000000000001", role: "dev" as const };
    const tail = await a.server.container.services.liveTail.tail(devActor, jobId, {});
    // Nobody reads the tail while 6,000 lines arrive in three batches: more than its queue holds.
    for (let k = 0; k < 3; k++) expect((await append(b, jobId, batch(`s${k}`, 0, 2_000))).errors).toBeUndefined();
    await until(() => tail.overflows > 0, "the overflow", 60_000);
    expect((await b.gql(SetJobStatusDocument, { id: jobId, status: "SUCCESS" }, { token: dev })).errors).toBeUndefined();
    const received: string[] = [];
    for await (const event of tail) received.push(...event.lines.map((l) => l.data));
    expect(received).toEqual(await stored(jobId));
    expect(received).toHaveLength(6_000);
  }, 90_000);

  it("the doorbell's Redis unreachable: tails keep up by reading the store every second, and recover when it is back", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    const viaProxy = { ...redis, REDIS_URL: `redis://127.0.0.1:${proxy.port}` };
    const c = await startPeerServer(a, viaProxy);
    const d = await startPeerServer(a, viaProxy);
    try {
      const jobId = await newJobId();
      const tail = follow(client(c), { jobId });
      await new Promise((r) => setTimeout(r, 300));
      expect((await append(d, jobId, batch("up", 0, 5))).errors).toBeUndefined();
      await until(() => tail.lines().length === 5, "a line while Redis is up");
      await proxy.cut();
      expect((await append(d, jobId, batch("down", 0, 5))).errors).toBeUndefined();
      await until(() => tail.lines().length === 10, "lines while Redis is down (read every second)", 5_000);
      const ready = await fetch(`${c.url}/readyz`).then((r) => r.json());
      expect(ready).toMatchObject({ status: "degraded", stores: { redis: "down" } });
      await proxy.restore();
      await until(() => c.server.container.doorbell.healthy() && d.server.container.doorbell.healthy(), "Redis back");
      expect((await append(d, jobId, batch("back", 0, 5))).errors).toBeUndefined();
      await until(() => tail.lines().length === 15, "lines once Redis is back");
      expect(tail.lines()).toEqual(await stored(jobId));
    } finally {
      await d.close();
      await c.close();
      await proxy.close();
    }
  });

  it("lines are read once per job per instance: 1 and 100 subscribers cost the same store reads per appended batch", async () => {
    const readsFor = async (subscribers: number) => {
      const jobId = await newJobId();
      const c = client(a);
      const tails = Array.from({ length: subscribers }, () => follow(c, { jobId }));
      await until(() => a.server.container.services.liveTail.subscribers(jobId) === subscribers, "every subscription");
      const calls = new StoreCallCounter({ dynamo: a.stores.dynamo.raw });
      expect((await append(b, jobId, batch("r", 0, 50))).errors).toBeUndefined();
      for (const tail of tails) await until(() => tail.lines().length === 50, "every subscriber");
      const reads = calls.count("dynamodb", "Query", new RegExp(a.stores.tables.logs));
      calls.detach();
      await c.dispose();
      return reads;
    };
    const one = await readsFor(1);
    const hundred = await readsFor(100);
    expect(one).toBe(1);
    expect(hundred).toBe(one);
  });
});

describe("bad input and refusals", () => {
  it("unknown job: NOT_FOUND; malformed cursor or stream: BAD_USER_INPUT; nothing stored", async () => {
    const jobId = await newJobId();
    const before = await storedCounts(a);
    const c = client(a);
    const unknown = follow(c, { jobId: "6c0e7a52-0000-4000-8000-000000000000" });
    const badCursor = follow(c, { jobId, after: "not-a-cursor" });
    await until(() => unknown.errors.length > 0 && badCursor.errors.length > 0, "the errors");
    expect((unknown.errors[0] as any).extensions.code).toBe("NOT_FOUND");
    expect((badCursor.errors[0] as any).extensions.code).toBe("BAD_USER_INPUT");
    const badStream = follow(c, { jobId: "6c0e7a52-0000-4000-8000-000000000000", stream: "STDLOG" });
    await until(() => badStream.errors.length > 0, "the stream's error");
    expect((badStream.errors[0] as any).message).toMatch(/STDLOG/);
    expect(await storedCounts(a)).toEqual(before);
  });

  it.each([
    ["both", { vmId: "vm-1", jobId: "6c0e7a52-0000-4000-8000-000000000000" }],
    ["neither", {}],
  ])("jobChanged with %s of vmId and jobId: BAD_USER_INPUT", async (_name, variables) => {
    const errors: any[] = [];
    await new Promise<void>((resolve) =>
      client(a).subscribe(
        { query: "subscription($vmId: ID, $jobId: ID) { jobChanged(vmId: $vmId, jobId: $jobId) { id } }", variables },
        { next: (r) => (errors.push(...(r.errors ?? [])), resolve()), error: (e) => (errors.push(e), resolve()), complete: resolve },
      ),
    );
    expect(errors[0].extensions.code).toBe("BAD_USER_INPUT");
  });

  it("a hostile document over the socket is refused by the same limits as over HTTP, before any store call", async () => {
    const calls = new StoreCallCounter({ dynamo: a.stores.dynamo.raw });
    const aliases = `jobLogTail(jobId: "6c0e7a52-0000-4000-8000-000000000000") { ${Array.from({ length: 20 }, (_, i) => `s${i}: status`).join(" ")} }`;
    const tooMany = await new Promise<any[]>((resolve) => {
      const errors: any[] = [];
      client(a).subscribe({ query: `subscription { ${aliases} }` }, { next: () => {}, error: (e) => resolve(Array.isArray(e) ? e : [e]), complete: () => resolve(errors) });
    });
    expect(tooMany[0].extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(tooMany[0].message).toMatch(/alias/i);
    expect(calls.count("dynamodb")).toBe(0);
    calls.detach();
  });

  it("a socket that never sends connection_init is closed with 4408 after 10 s", async () => {
    const socket = new WebSocket(a.url.replace("http", "ws") + "/graphql", "graphql-transport-ws");
    const code = await new Promise<number>((resolve) => socket.on("close", (closed) => resolve(closed)));
    expect(code).toBe(4408);
  }, 20_000);

  it("no token or a forged one: the socket is closed with 4401", async () => {
    for (const token of [null, "forged.token.value"]) {
      let code = 0;
      const c = client(a, token, { onClose: (closed) => (code = closed) });
      const tail = follow(c, { jobId: "6c0e7a52-0000-4000-8000-000000000000" });
      await until(() => code !== 0, "the close");
      expect(code).toBe(4401);
      expect(tail.events).toEqual([]);
    }
  });

  it("the 101st subscription on one socket is refused with a code; the first 100 keep running", async () => {
    const jobId = await newJobId();
    const c = client(a);
    const tails = Array.from({ length: 101 }, () => follow(c, { jobId }));
    await until(() => tails[100]!.errors.length > 0, "the refusal");
    expect((tails[100]!.errors[0] as any).extensions.code).toBe("BAD_USER_INPUT");
    expect((tails[100]!.errors[0] as any).message).toMatch(/at most 100 subscriptions per socket/);
    expect((await append(a, jobId, batch("k", 0, 1))).errors).toBeUndefined();
    await until(() => tails.slice(0, 100).every((t) => t.lines().length === 1), "the others");
    expect(tails.slice(0, 100).every((t) => t.errors.length === 0)).toBe(true);
  });
});

describe("the socket's lifetime", () => {
  it("a server that stops closes its sockets with 1001, so clients reconnect elsewhere", async () => {
    const c = await startPeerServer(a, redis);
    let code = 0;
    const jobId = await newJobId();
    const tail = follow(client(c, dev, { onClose: (closed) => (code = closed) }), { jobId });
    await until(() => c.server.container.services.liveTail.subscribers(jobId) === 1, "the subscription");
    await c.close();
    await until(() => code !== 0, "the close");
    expect(code).toBe(1001);
    // The client reports the close to its open subscription: no GraphQL error, only the socket's end.
    expect(tail.errors.map((e) => (e as { code?: number }).code)).toEqual([1001]);
  });

  it("a subscribed user who is erased: the socket closes within 60 s", async () => {
    const { token, user } = await createUserWithToken(a, "viewer");
    const id = user.id;
    const admin = (await createUserWithToken(a, "admin")).token;
    let code = 0;
    const jobId = await newJobId();
    follow(client(a, token, { onClose: (closed) => (code = closed) }), { jobId });
    // Subscribed (so signed in) before the erasure: the close must come from the socket's recheck.
    await until(() => a.server.container.services.liveTail.subscribers(jobId) === 1, "the subscription");
    expect((await a.gql(DeleteUserDocument, { id }, { token: admin })).errors).toBeUndefined();
    await until(() => code !== 0, "the close", 60_000);
    expect(code).toBe(4401);
  }, 70_000);
});

describe("SSE: GET /api/logs/:jobId/stream", () => {
  it("streams backlog and live lines, resumes with Last-Event-ID, and ends after the finished status", async () => {
    const jobId = await newJobId();
    expect((await append(a, jobId, batch("e", 0, 3))).errors).toBeUndefined();
    const url = `${b.url}/api/logs/${jobId}/stream`;
    const first = await readEventStream(url, { authorization: `Bearer ${dev}` });
    expect(first.status).toBe(200);
    await until(() => first.events.length >= 1, "the backlog event");
    expect(JSON.parse(first.events[0]!.data).items.map((l: any) => l.data)).toEqual(batch("e", 0, 3).map((l) => l.data));
    first.close();
    const lastId = first.events.at(-1)!.id!;
    expect((await append(a, jobId, batch("e", 3, 2))).errors).toBeUndefined();
    const resumed = await readEventStream(url, { authorization: `Bearer ${dev}`, "last-event-id": lastId });
    await until(() => resumed.events.length >= 1, "the resumed event");
    expect((await a.gql(SetJobStatusDocument, { id: jobId, status: "SUCCESS" }, { token: dev })).errors).toBeUndefined();
    await resumed.ended;
    const lines = resumed.events.filter((e) => e.event === "lines").flatMap((e) => JSON.parse(e.data).items.map((l: any) => l.data));
    expect(lines).toEqual(batch("e", 3, 2).map((l) => l.data));
    expect(resumed.events.at(-1)).toMatchObject({ event: "end", data: JSON.stringify({ status: "success" }) });
  });

  it("unknown job: 404 before the stream starts; malformed cursor: 400; no token: 401", async () => {
    const unknown = await readEventStream(`${a.url}/api/logs/6c0e7a52-0000-4000-8000-000000000000/stream`, { authorization: `Bearer ${dev}` });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
    const jobId = await newJobId();
    const malformed = await readEventStream(`${a.url}/api/logs/${jobId}/stream?cursor=zzz`, { authorization: `Bearer ${dev}` });
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: "BAD_USER_INPUT" } } });
    const anonymous = await readEventStream(`${a.url}/api/logs/${jobId}/stream`, {});
    expect(anonymous).toMatchObject({ status: 401, body: { error: { code: "UNAUTHENTICATED" } } });
  });
});

describe("jobChanged", () => {
  it("a VM page sees a new job started through the other instance, then its status change", async () => {
    const vm = await createVm(a, dev);
    const seen: Array<{ id: string; status: string }> = [];
    const open = a.server.container.services.liveTail.openCount();
    client(a).subscribe<{ jobChanged: { id: string; status: string } }>(
      { query: "subscription($vmId: ID) { jobChanged(vmId: $vmId) { id status } }", variables: { vmId: vm.id } },
      { next: (r) => r.data && seen.push(r.data.jobChanged), error: () => {}, complete: () => {} },
    );
    // Watching before the job starts: a job that exists at subscription time is not news.
    await until(() => a.server.container.services.liveTail.openCount() > open, "the watch");
    const { job } = await sendCommand(b, dev, vm.id);
    await until(() => seen.some((j) => j.id === job.id), "the new job");
    expect((await b.gql(SetJobStatusDocument, { id: job.id, status: "SUCCESS" }, { token: dev })).errors).toBeUndefined();
    await until(() => seen.some((j) => j.id === job.id && j.status === "SUCCESS"), "the status change");
    expect(seen).toEqual([
      { id: job.id, status: "RUNNING" },
      { id: job.id, status: "SUCCESS" },
    ]);
  });
});
