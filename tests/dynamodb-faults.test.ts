// DynamoDB throttling and 5xx answers, injected on the server's real client:
// retried with backoff inside a bounded time, then SERVICE_UNAVAILABLE with
// nothing stored.
import { randomBytes } from "node:crypto";
import { QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BoundedRetryStrategy, DEFAULT_RETRY_POLICY } from "../src/infra/dynamodb/retry";
import { StoreCallCounter } from "../src/infra/store-calls";
import { AppendJobLogsDocument, CreateVmDocument, SendCommandForJobDocument } from "./generated/graphql";
import { dynamoCount, cacheCount } from "./support/counts";
import { storedLogItems } from "./support/fixtures";
import { buildVmInput, createUserWithToken, createVm, sendCommand, stdoutLines } from "./support/factories";
import { injectDynamoFault, type DynamoFault, type DynamoFaultHandle } from "./support/faults";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let dev: string;
let fault: DynamoFaultHandle | undefined;

beforeAll(async () => {
  t = await startTestServer();
  dev = (await createUserWithToken(t, "dev")).token;
});
afterEach(() => {
  fault?.remove();
  fault = undefined;
});
afterAll(() => t?.close());

async function vmIds(): Promise<string[]> {
  const out = await t.stores.dynamo.doc.send(new ScanCommand({ TableName: t.stores.tables.vms, ProjectionExpression: "vmId" }));
  return (out.Items ?? []).map((item) => item.vmId as string);
}

describe("transient DynamoDB faults are retried", () => {
  it.each<[DynamoFault, number]>([
    ["throttle", 3],
    ["internal-error", 2],
    ["unavailable", 1],
  ])("%s ×%i: createVm succeeds and the VM is stored once", async (kind, times) => {
    fault = injectDynamoFault(t.stores.dynamo.raw, { operation: "PutItem", fault: kind, times });
    const calls = new StoreCallCounter({ dynamo: t.stores.dynamo.raw });
    const input = buildVmInput();
    const created = await t.gql(CreateVmDocument, { input }, { token: dev });
    expect(created.errors).toBeUndefined();
    expect(fault.injected).toBe(times);
    expect(fault.passed).toBe(1);
    // One logical call, however many attempts it took.
    expect(calls.count("dynamodb", "PutItem")).toBe(1);
    expect(calls.calls.find((c) => c.operation === "PutItem")).toMatchObject({ ok: true, attempts: times + 1 });
    calls.detach();
    const ids = await vmIds();
    expect(ids.filter((id) => id === created.data!.createVm.id)).toHaveLength(1);
  });

  it("reports the retries in /metrics", async () => {
    const series = 'store_call_retries_total{store="dynamodb",operation="PutItem"}';
    const read = async () => {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    };
    const before = await read();
    fault = injectDynamoFault(t.stores.dynamo.raw, { operation: "PutItem", fault: "throttle", times: 2 });
    const created = await t.gql(CreateVmDocument, { input: buildVmInput() }, { token: dev });
    expect(created.errors).toBeUndefined();
    expect((await read()) - before).toBe(2);
  });
});

describe("an answer lost after DynamoDB carried out the write (retried: the retry meets the write)", () => {
  it("createVm: the retry finds its own VM and answers it, not CONFLICT; stored once", async () => {
    fault = injectDynamoFault(t.stores.dynamo.raw, { operation: "PutItem", fault: "answer-lost", times: 1 });
    const input = buildVmInput({ id: `vm-lost-answer-${randomBytes(4).toString("hex")}` });
    const created = await t.gql(CreateVmDocument, { input }, { token: dev });
    expect(created.errors).toBeUndefined();
    expect(created.data!.createVm).toMatchObject({ id: input.id, name: input.name, environment: input.environment });
    expect(fault.injected).toBe(1);
    expect(fault.passed).toBe(1);
    expect((await vmIds()).filter((id) => id === input.id)).toHaveLength(1);
  });

  it("sendCommand: answered without error, one command and one job stored", async () => {
    const vm = await createVm(t, dev);
    const before = { commands: await dynamoCount(t, "commands"), jobs: await dynamoCount(t, "jobs") };
    fault = injectDynamoFault(t.stores.dynamo.raw, { operation: "TransactWriteItems", fault: "answer-lost", times: 1 });
    const sent = await t.gql(SendCommandForJobDocument, { input: { vmId: vm.id, command: "make deploy" } }, { token: dev });
    expect(sent.errors).toBeUndefined();
    expect(fault.injected).toBe(1);
    expect({ commands: await dynamoCount(t, "commands"), jobs: await dynamoCount(t, "jobs") }).toEqual({
      commands: before.commands + 1,
      jobs: before.jobs + 1,
    });
  });

  it("appendJobLogs: acknowledged, every line stored once", async () => {
    const vm = await createVm(t, dev);
    const { job } = await sendCommand(t, dev, vm.id);
    fault = injectDynamoFault(t.stores.dynamo.raw, { operation: "TransactWriteItems", fault: "answer-lost", times: 1 });
    const lines = stdoutLines(150);
    const appended = await t.gql(AppendJobLogsDocument, { jobId: job.id, lines }, { token: dev });
    expect(appended.errors).toBeUndefined();
    expect(appended.data!.appendJobLogs.accepted).toBe(150);
    expect(fault.injected).toBe(1);
    const stored = await storedLogItems(t, job.id);
    expect(stored.map((item) => item.data)).toEqual(lines.map((l) => l.data));
  });
});

describe("a fault that outlasts the retries", () => {
  it.each<DynamoFault>(["throttle", "internal-error"])(
    "%s: SERVICE_UNAVAILABLE with a clear message, nothing stored, attempts bounded",
    async (kind) => {
      const before = await vmIds();
      fault = injectDynamoFault(t.stores.dynamo.raw, { operation: "PutItem", fault: kind, times: Infinity });
      const calls = new StoreCallCounter({ dynamo: t.stores.dynamo.raw });
      const input = buildVmInput({ id: `vm-fault-${kind}` });
      const result = await t.gql(CreateVmDocument, { input }, { token: dev });
      expect(result.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
      expect(result.errors?.[0]?.message).toBe("DynamoDB is unavailable, try again");
      expect(result.data?.createVm ?? null).toBeNull();
      expect(fault.injected).toBeGreaterThan(1);
      expect(fault.injected).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxAttempts);
      expect(fault.passed).toBe(0);
      expect(calls.calls.filter((c) => c.operation === "PutItem")).toEqual([
        expect.objectContaining({ ok: false, attempts: fault.injected }),
      ]);
      calls.detach();
      fault.remove();
      fault = undefined;
      expect(await vmIds()).toEqual(before);
    },
  );

  it("a client error (a failed condition) is not retried and keeps its own code", async () => {
    await t.gql(CreateVmDocument, { input: buildVmInput({ id: "vm-once" }) }, { token: dev });
    fault = injectDynamoFault(t.stores.dynamo.raw, { operation: "PutItem", fault: "throttle", times: 0 });
    const again = await t.gql(CreateVmDocument, { input: buildVmInput({ id: "vm-once" }) }, { token: dev });
    expect(again.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(fault.passed).toBe(1);
  });
});

describe("a permanent fault leaves nothing half-written in the cache", () => {
  it("sendCommand: SERVICE_UNAVAILABLE, no command or job in DynamoDB, no job row in the cache", async () => {
    const vm = await createVm(t, dev);
    await t.server.container.cache.writer.idle();
    const before = { commands: await dynamoCount(t, "commands"), jobs: await dynamoCount(t, "jobs"), cached: await cacheCount(t, "jobs") };
    fault = injectDynamoFault(t.stores.dynamo.raw, { operation: "TransactWriteItems", fault: "internal-error", times: Infinity });
    const sent = await t.gql(SendCommandForJobDocument, { input: { vmId: vm.id, command: "make deploy" } }, { token: dev });
    expect(sent.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
    expect(fault.injected).toBeGreaterThan(1);
    fault.remove();
    fault = undefined;
    await t.server.container.cache.writer.idle();
    expect({ commands: await dynamoCount(t, "commands"), jobs: await dynamoCount(t, "jobs"), cached: await cacheCount(t, "jobs") }).toEqual(before);
  });

  it("appendJobLogs failing after its first chunk: the cache holds exactly the lines DynamoDB accepted", async () => {
    const vm = await createVm(t, dev);
    const { job } = await sendCommand(t, dev, vm.id);
    // 250 lines are three TransactWriteItems of up to 99: the first is stored, the second fails for good.
    fault = injectDynamoFault(t.stores.dynamo.raw, { operation: "TransactWriteItems", fault: "internal-error", times: Infinity, after: 1 });
    const lines = stdoutLines(250);
    const appended = await t.gql(AppendJobLogsDocument, { jobId: job.id, lines }, { token: dev });
    expect(appended.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
    expect(fault.passed).toBe(1);
    fault.remove();
    fault = undefined;
    await t.server.container.cache.writer.idle();

    const stored = await t.stores.dynamo.doc.send(
      new QueryCommand({ TableName: t.stores.tables.logs, KeyConditionExpression: "jobId = :j", ExpressionAttributeValues: { ":j": job.id }, ConsistentRead: true }),
    );
    const inDynamo = (stored.Items ?? []).map((item) => `${item.ts}|${item.data}`);
    expect(inDynamo).toHaveLength(99);
    expect(inDynamo.map((l) => l.split("|")[1])).toEqual(lines.slice(0, 99).map((l) => l.data));
    const cached = await t.stores.prisma.$queryRaw<Array<{ k: string }>>`
      SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '|' || data AS k FROM job_logs WHERE job_id = ${job.id}::uuid ORDER BY ts`;
    expect(cached.map((r) => r.k)).toEqual(inDynamo);
    // The failed append released its claim: readers do not wait for the 35 lines that will never come.
    const state = await t.server.container.repositories.jobs.getLogState(job.id);
    expect(state!.logCompleteTs).toBe(state!.logClaimedTs);
    expect(state!.logCompleteTs! > inDynamo.at(-1)!.split("|")[0]!).toBe(true);
  });
});

describe("the claim's transaction lost past every retry", () => {
  it("appendJobLogs: SERVICE_UNAVAILABLE, and the claim it may have left is released (the watermark does not wait out its lease)", async () => {
    const vm = await createVm(t, dev);
    const { job } = await sendCommand(t, dev, vm.id);
    // A first append leaves the job's claim map in place (a release needs it).
    expect((await t.gql(AppendJobLogsDocument, { jobId: job.id, lines: stdoutLines(3) }, { token: dev })).errors).toBeUndefined();
    // Every attempt is carried out by DynamoDB and its answer lost: the claim and 50 lines land, the append cannot know it.
    fault = injectDynamoFault(t.stores.dynamo.raw, { operation: "TransactWriteItems", fault: "answer-lost", times: Infinity });
    const appended = await t.gql(AppendJobLogsDocument, { jobId: job.id, lines: stdoutLines(50) }, { token: dev });
    expect(appended.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
    expect(fault.injected).toBeGreaterThan(1);
    fault.remove();
    fault = undefined;
    const stored = await storedLogItems(t, job.id);
    const state = await t.server.container.repositories.jobs.getLogState(job.id);
    // Nothing pending: the watermark stands at the claimed end, past every stored line.
    expect(state!.logCompleteTs).toBe(state!.logClaimedTs);
    expect(state!.logCompleteTs! >= String(stored.at(-1)!.ts)).toBe(true);
  });
});

describe("conflicts with a transaction on the job's item", () => {
  it.each([
    ["UpdateItem", "transaction-conflict"],
    ["TransactWriteItems", "cancelled-by-conflict"],
  ] as const)("%s answered %s twice: retried, the append is acknowledged and every line stored once", async (operation, kind) => {
    const vm = await createVm(t, dev);
    const { job } = await sendCommand(t, dev, vm.id);
    fault = injectDynamoFault(t.stores.dynamo.raw, { operation, fault: kind, times: 2 });
    const lines = stdoutLines(150);
    const appended = await t.gql(AppendJobLogsDocument, { jobId: job.id, lines }, { token: dev });
    expect(appended.errors).toBeUndefined();
    expect(appended.data!.appendJobLogs.accepted).toBe(150);
    expect(fault.injected).toBe(2);
    fault.remove();
    fault = undefined;
    const stored = await storedLogItems(t, job.id);
    expect(stored.map((item) => item.data)).toEqual(lines.map((l) => l.data));
    const state = await t.server.container.repositories.jobs.getLogState(job.id);
    expect(state!.logCompleteTs).toBe(String(stored.at(-1)!.ts));
  });
});

describe("the retry budget (strategy with a fake clock)", () => {
  const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 100, totalBudgetMs: 1_000, attemptTimeoutMs: 300, maxDelayMs: 10 };

  it("retries throttling and transient errors, not client or other server errors", async () => {
    const strategy = new BoundedRetryStrategy(policy, () => 0);
    const token = await strategy.acquireInitialRetryToken("");
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: "THROTTLING" })).resolves.toBeDefined();
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: "TRANSIENT" })).resolves.toBeDefined();
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: "CLIENT_ERROR" })).rejects.toThrow("not retryable");
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: "SERVER_ERROR" })).rejects.toThrow("not retryable");
  });

  it("refuses a retry that could not finish inside the total budget", async () => {
    let now = 0;
    const strategy = new BoundedRetryStrategy(policy, () => now);
    let token = await strategy.acquireInitialRetryToken("");
    now = 600; // 600 + delay (< 10) + 300 fits in 1000
    token = await strategy.refreshRetryTokenForRetry(token, { errorType: "THROTTLING" });
    expect(token.getRetryCount()).toBe(1);
    now = 701; // 701 + any delay + 300 > 1000
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: "THROTTLING" })).rejects.toThrow("budget");
  });

  it("stops at maxAttempts", async () => {
    const strategy = new BoundedRetryStrategy({ ...policy, maxAttempts: 3 }, () => 0);
    let token = await strategy.acquireInitialRetryToken("");
    token = await strategy.refreshRetryTokenForRetry(token, { errorType: "TRANSIENT" });
    token = await strategy.refreshRetryTokenForRetry(token, { errorType: "TRANSIENT" });
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: "TRANSIENT" })).rejects.toThrow("attempts");
  });

  it("waits at least a Retry-After hint", async () => {
    const strategy = new BoundedRetryStrategy(policy, () => 0);
    const token = await strategy.acquireInitialRetryToken("");
    const next = await strategy.refreshRetryTokenForRetry(token, { errorType: "THROTTLING", retryAfterHint: new Date(250) });
    expect(next.getRetryDelay()).toBe(250);
  });
});

describe("an endpoint that refuses connections", () => {
  it("fails with SERVICE_UNAVAILABLE after bounded retries", async () => {
    const { createDynamo } = await import("../src/infra/dynamodb/client");
    const { findFreePort } = await import("../src/infra/net");
    const { GetCommand } = await import("@aws-sdk/lib-dynamodb");
    const { AppError } = await import("../src/shared/errors");
    const dead = createDynamo({ endpoint: `http://127.0.0.1:${await findFreePort()}`, retry: { maxAttempts: 3 } });
    try {
      const error = await dead.doc.send(new GetCommand({ TableName: "vms", Key: { vmId: "x" } })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: "SERVICE_UNAVAILABLE", message: "DynamoDB is unavailable, try again" });
      expect(((error as Error).cause as { $metadata?: { attempts?: number } }).$metadata?.attempts).toBe(3);
    } finally {
      dead.raw.destroy();
    }
  });
});

describe("DYNAMODB_ATTEMPT_TIMEOUT_MS and DYNAMODB_RETRY_BUDGET_MS", () => {
  it("bound a call to an endpoint that never answers; an attempt limit above the budget is refused", async () => {
    const { createServer } = await import("node:net");
    const { createDynamo } = await import("../src/infra/dynamodb/client");
    const { loadConfig, ConfigError } = await import("../src/config/env");
    const { GetCommand } = await import("@aws-sdk/lib-dynamodb");
    expect(() => loadConfig({ DYNAMODB_ATTEMPT_TIMEOUT_MS: "9000", DYNAMODB_RETRY_BUDGET_MS: "8000" })).toThrow(ConfigError);
    expect(loadConfig({}).dynamoRetry).toEqual({ attemptTimeoutMs: DEFAULT_RETRY_POLICY.attemptTimeoutMs, totalBudgetMs: DEFAULT_RETRY_POLICY.totalBudgetMs });

    // Accepts connections and never answers: every attempt runs into its limit.
    const sockets = new Set<import("node:net").Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    const { dynamoRetry } = loadConfig({ DYNAMODB_ATTEMPT_TIMEOUT_MS: "200", DYNAMODB_RETRY_BUDGET_MS: "700" });
    const client = createDynamo({ endpoint: `http://127.0.0.1:${port}`, retry: dynamoRetry });
    try {
      const started = Date.now();
      const error = await client.doc.send(new GetCommand({ TableName: "vms", Key: { vmId: "x" } })).catch((e: unknown) => e);
      const took = Date.now() - started;
      expect(error).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
      const attempts = ((error as Error).cause as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 0;
      // Attempts of 200 ms inside 700 ms: two or three, never the policy's eight.
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(attempts).toBeLessThanOrEqual(3);
      expect(took).toBeLessThan(3_000);
    } finally {
      client.raw.destroy();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
