// The live tail across two instances on the same PostgreSQL, DynamoDB Local
// and Redis, with graphql-ws's own client: every line exactly once and in ts
// order, whichever instance stored it; resumption on the other instance;
// completion after the finished status.
import { randomBytes } from "node:crypto";
import { createClient, type Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { StoreCallCounter } from "../src/infra/store-calls";
import { AppendJobLogsDocument, SetJobStatusDocument, type LogLineInput } from "./generated/graphql";
import { storedCounts } from "./support/counts";
import { createUserWithToken, createVm, sendCommand } from "./support/factories";
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
      error: (error) => errors.push(error),
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
