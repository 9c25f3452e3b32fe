// Store calls per request, counted on the real clients: a page of N VMs with
// their jobs costs the same for N = 1 and N = 50.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreCallCounter } from "../src/infra/store-calls";
import { createLoaders } from "../src/graphql/loaders";
import {
  AppendJobLogsDocument,
  JobsWithLogsDocument,
  VmCommandsWithJobLogsDocument,
  VmsWithCommandsDocument,
  VmsWithJobsDocument,
} from "./generated/graphql";
import { createUserWithToken, createVm, sendCommand } from "./support/factories";
import { daysAgo, putJobItem, putLogItem, putVmItem } from "./support/fixtures";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let viewer: string;
let calls: StoreCallCounter;
const devs: string[] = [];

beforeAll(async () => {
  t = await startTestServer();
  viewer = (await createUserWithToken(t, "viewer")).token;
  for (let i = 0; i < 10; i++) devs.push((await createUserWithToken(t, "dev")).token);
  for (const [environment, n] of [["env-1", 1], ["env-50", 50]] as const) {
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const vm = await createVm(t, devs[0]!, { environment });
        // Three jobs each, sent by different users (10 issuers over the page).
        for (let k = 0; k < 3; k++) await sendCommand(t, devs[(i + k) % devs.length]!, vm.id, `echo ${k}`);
      }),
    );
  }
  await t.server.container.cache.writer.idle();
  calls = new StoreCallCounter({ dynamo: t.stores.dynamo.raw, prisma: t.stores.prisma });
}, 120_000);
afterAll(async () => {
  calls?.detach();
  await t?.close();
});

async function countVmsWithJobs(environment: string, n: number) {
  calls.reset();
  const result = await t.gql(VmsWithJobsDocument, { environment, first: n, jobsFirst: 2 }, { token: viewer });
  expect(result.errors).toBeUndefined();
  const vms = result.data!.vms.edges;
  expect(vms).toHaveLength(n);
  for (const { node } of vms) {
    expect(node.jobs.edges).toHaveLength(2);
    expect(node.jobs.pageInfo.hasNextPage).toBe(true);
    node.jobs.edges.forEach((e) => expect(e.node.vm!.id).toBe(node.id));
  }
  return {
    jobQueries: calls.count("postgres", "SELECT", /FROM jobs/),
    postgres: calls.count("postgres"),
    batchGets: calls.count("dynamodb", "BatchGetItem"),
    dynamoJobQueries: calls.count("dynamodb", "Query", new RegExp(t.stores.tables.jobs)),
  };
}

describe("DataLoader batching", () => {
  it("Vm.jobs for a page of VMs is ONE Postgres query; Job.vm one BatchGetItem — the same for N = 1 and N = 50", async () => {
    const one = await countVmsWithJobs("env-1", 1);
    const fifty = await countVmsWithJobs("env-50", 50);
    expect(one).toEqual({ jobQueries: 1, postgres: 2, batchGets: 1, dynamoJobQueries: 0 });
    // postgres: the job query and the caller's user (token → actor).
    expect(fifty).toEqual(one);
  });

  it("Command.issuedBy over a page is one Prisma query, Command.vm one BatchGetItem, for N = 1 and N = 50", async () => {
    const counts = async (environment: string, n: number) => {
      calls.reset();
      const result = await t.gql(VmsWithCommandsDocument, { environment, first: n }, { token: viewer });
      expect(result.errors).toBeUndefined();
      const commands = result.data!.vms.edges.flatMap((e) => e.node.commands.edges.map((c) => c.node));
      expect(commands).toHaveLength(3 * n);
      commands.forEach((c) => expect(c.issuedBy).not.toBeNull());
      return {
        userQueries: calls.count("postgres", "SELECT", /FROM "public"\."users"|FROM users/),
        batchGets: calls.count("dynamodb", "BatchGetItem"),
        commandQueries: calls.count("dynamodb", "Query", new RegExp(t.stores.tables.commands)),
      };
    };
    const one = await counts("env-1", 1);
    const fifty = await counts("env-50", 50);
    // users: the caller (token → actor) and the issuers, in one query.
    expect(one).toEqual({ userQueries: 2, batchGets: 1, commandQueries: 1 });
    // DynamoDB has no batched query: one Query per VM, answered together so the joins below batch.
    expect(fifty).toEqual({ userQueries: 2, batchGets: 1, commandQueries: 50 });
  });

  it("{ me } reads the caller's row once: the row that resolved the actor answers it", async () => {
    const { user, token } = await createUserWithToken(t, "dev");
    calls.reset();
    const result = await t.gql("{ me { id email role } }", {}, { token });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ me: { id: user.id, email: user.email, role: "DEV" } });
    expect(calls.count("postgres")).toBe(1);
    expect(calls.count("postgres", "SELECT", /FROM "public"\."users"|FROM users/)).toBe(1);
    expect(calls.count("dynamodb")).toBe(0);
  });

  it("vmById batches BatchGetItem 100 keys a call", async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `vm-batch-${i}`);
    await Promise.all(ids.map((id) => putVmItem(t, { id, createdAt: new Date() })));
    const loaders = createLoaders(t.server.container.repositories);
    calls.reset();
    const vms = await Promise.all([...ids, "vm-missing"].map((id) => loaders.vmById.load(id)));
    expect(vms.slice(0, 250).map((vm) => vm!.id)).toEqual(ids);
    expect(vms[250]).toBeNull();
    expect(calls.count("dynamodb", "BatchGetItem")).toBe(3);
  });
});

describe("Job.logs batching", () => {
  const vmIds = { one: "", ten: "" };
  const LINES = 3;

  beforeAll(async () => {
    for (const [key, n] of [["one", 1], ["ten", 10]] as const) {
      const vm = await createVm(t, devs[0]!, { environment: `logs-${key}` });
      vmIds[key] = vm.id;
      for (let k = 0; k < n; k++) {
        const { job } = await sendCommand(t, devs[0]!, vm.id, `echo ${k}`);
        const lines = Array.from({ length: LINES }, (_, i) => ({ stream: "STDOUT" as const, data: `${job.id} line ${i}` }));
        const appended = await t.gql(AppendJobLogsDocument, { jobId: job.id, lines }, { token: devs[0]! });
        expect(appended.errors).toBeUndefined();
      }
    }
    await t.server.container.cache.writer.idle();
  }, 60_000);

  const logQueries = () => calls.count("postgres", "SELECT", /FROM job_logs/);

  it("jobs(filter: {vmId}){ logs } reads the page's jobs and their lines in ONE cache statement: the same store calls for N = 1 and N = 10", async () => {
    const counts = async (vmId: string, n: number) => {
      calls.reset();
      const result = await t.gql(JobsWithLogsDocument, { filter: { vmId }, first: n, logsFirst: 2 }, { token: viewer });
      expect(result.errors).toBeUndefined();
      const jobs = result.data!.jobs.edges.map((e) => e.node);
      expect(jobs).toHaveLength(n);
      for (const job of jobs) {
        // Each job gets its own first two lines, in order, and knows there is a third.
        expect(job.logs.edges.map((e) => e.node.data)).toEqual([`${job.id} line 0`, `${job.id} line 1`]);
        expect(job.logs.edges.every((e) => e.node.jobId === job.id)).toBe(true);
        expect(job.logs.pageInfo.hasNextPage).toBe(true);
      }
      return { logQueries: logQueries(), postgres: calls.count("postgres"), dynamodb: calls.count("dynamodb") };
    };
    const one = await counts(vmIds.one, 1);
    const ten = await counts(vmIds.ten, 10);
    // postgres: the caller (token → actor), then the jobs with the lines of all of them.
    // dynamodb: the list, short of a full page in the cache, looks below the cache horizon once.
    expect(one).toEqual({ logQueries: 1, postgres: 2, dynamodb: 1 });
    expect(ten).toEqual(one);
  });

  it("jobs(){ logs } read together answer as Job.logs on its own does, and Job.logs's refusals stay its own", async () => {
    const page = `{ edges { cursor node { jobId ts stream data } } pageInfo { hasNextPage endCursor } }`;
    const ask = async (query: string) => {
      calls.reset();
      const result = await t.gql(query, { vmId: vmIds.ten, first: 2 }, { token: viewer });
      expect(result.errors).toBeUndefined();
      return { data: result.data, postgres: calls.count("postgres"), logQueries: logQueries(), dynamodb: calls.count("dynamodb") };
    };
    const list = (logs: string) => `query($vmId: ID!, $first: Int) { jobs(filter: { vmId: $vmId }, first: 4) { edges { cursor node { id status ${logs} ${page} } } pageInfo { hasNextPage } } }`;
    const together = await ask(list(`logs(first: $first, stream: STDOUT)`));
    // An @include leaves the decision to execution: Job.logs then reads on its own, as before.
    const apart = await ask(list(`logs(first: $first, stream: STDOUT) @include(if: true)`));
    // postgres: the caller, then the jobs with their lines; apart: the jobs, then the lines of all of them.
    expect(together).toMatchObject({ postgres: 2, logQueries: 1, dynamodb: 0 });
    expect(apart).toMatchObject({ postgres: 3, logQueries: 1, dynamodb: 0 });
    expect(JSON.stringify(together.data)).toBe(JSON.stringify(apart.data));
    const jobs = (together.data as { jobs: { edges: Array<{ node: { id: string; logs: { edges: Array<{ node: { data: string } }> } } }> } }).jobs.edges;
    expect(jobs).toHaveLength(4);
    for (const { node } of jobs) expect(node.logs.edges.map((e) => e.node.data)).toEqual([`${node.id} line 0`, `${node.id} line 1`]);

    // Arguments Job.logs refuses still get its error, at the logs (non-null up to jobs, so only the first is reported).
    const refused = await t.gql(
      `query($vmId: ID!) { jobs(filter: { vmId: $vmId }, first: 2) { edges { node { id logs(first: 2, after: "not-a-cursor") { edges { cursor } } } } } }`,
      { vmId: vmIds.ten },
      { token: viewer },
    );
    expect(refused.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([["BAD_USER_INPUT", ["jobs", "edges", 0, "node", "logs"]]]);
  });

  it("job(id){ logs } reads the job and its page of lines in ONE cache statement, with the same answer as Job.logs on its own", async () => {
    const listed = await t.gql(`query($vmId: ID!) { jobs(filter: { vmId: $vmId }, first: 1) { edges { node { id } } } }`, { vmId: vmIds.one }, { token: viewer });
    const id = (listed.data as { jobs: { edges: Array<{ node: { id: string } }> } }).jobs.edges[0]!.node.id;
    const page = `{ edges { cursor node { jobId ts stream data } } pageInfo { hasNextPage endCursor } }`;
    const ask = async (query: string) => {
      calls.reset();
      const result = await t.gql(query, { id, first: 2 }, { token: viewer });
      expect(result.errors).toBeUndefined();
      return { data: result.data, postgres: calls.count("postgres"), logQueries: logQueries(), dynamodb: calls.count("dynamodb") };
    };
    const together = await ask(`query($id: ID!, $first: Int) { job(id: $id) { id status logs(first: $first, stream: STDOUT) ${page} } }`);
    // An @include leaves the decision to execution: Job.logs then reads on its own, as before.
    const apart = await ask(`query($id: ID!, $first: Int) { job(id: $id) { id status logs(first: $first, stream: STDOUT) @include(if: true) ${page} } }`);
    // postgres: the caller (token → actor), then the job with its lines; apart: the job, then its lines.
    expect(together).toMatchObject({ postgres: 2, logQueries: 1, dynamodb: 0 });
    expect(apart).toMatchObject({ postgres: 3, logQueries: 1, dynamodb: 0 });
    expect(JSON.stringify(together.data)).toBe(JSON.stringify(apart.data));
    const lines = (together.data as { job: { logs: { edges: Array<{ node: { data: string } }>; pageInfo: { hasNextPage: boolean } } } }).job.logs;
    expect(lines.edges.map((e) => e.node.data)).toEqual([`${id} line 0`, `${id} line 1`]);
    expect(lines.pageInfo.hasNextPage).toBe(true);

    // Arguments Job.logs refuses still get its error, and only for the logs.
    const refused = await t.gql(`query($id: ID!) { job(id: $id) { id logs(first: 2, after: "not-a-cursor") { edges { cursor } } } }`, { id }, { token: viewer });
    expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(refused.errors?.[0]?.path).toEqual(["job", "logs"]);
  });

  it("Command.jobs answers a page of commands together, so their jobs' logs are one cache query for N = 1 and N = 10", async () => {
    const counts = async (vmId: string, n: number) => {
      calls.reset();
      const result = await t.gql(VmCommandsWithJobLogsDocument, { id: vmId, first: n, logsFirst: 2 }, { token: viewer });
      expect(result.errors).toBeUndefined();
      const jobs = result.data!.vm!.commands.edges.flatMap((c) => c.node.jobs.edges.map((e) => e.node));
      expect(jobs).toHaveLength(n);
      jobs.forEach((job) => expect(job.logs.edges.map((e) => e.node.data)).toEqual([`${job.id} line 0`, `${job.id} line 1`]));
      return {
        logQueries: logQueries(),
        postgres: calls.count("postgres"),
        jobQueries: calls.count("dynamodb", "Query", new RegExp(t.stores.tables.jobs)),
      };
    };
    expect(await counts(vmIds.one, 1)).toEqual({ logQueries: 1, postgres: 2, jobQueries: 1 });
    // DynamoDB has no batched query: one byCommandId Query per command.
    expect(await counts(vmIds.ten, 10)).toEqual({ logQueries: 1, postgres: 2, jobQueries: 10 });
  });

  it("in one page, jobs the cache may not answer read DynamoDB and the rest still share one cache query", async () => {
    // A VM older than the cache horizon: one job before it (DynamoDB only), one recent job (cached).
    const vmId = `vm-mixed-${Date.now()}`;
    await putVmItem(t, { id: vmId, createdAt: daysAgo(9) });
    const old = await putJobItem(t, { vmId, startedAt: daysAgo(8) });
    await putLogItem(t, { jobId: old, ts: "2026-01-01T00:00:00.000001Z", data: "old 0" });
    await putLogItem(t, { jobId: old, ts: "2026-01-01T00:00:00.000002Z", data: "old 1" });
    const { job: recent } = await sendCommand(t, devs[0]!, vmId, "echo recent");
    await t.gql(AppendJobLogsDocument, { jobId: recent.id, lines: [{ stream: "STDOUT", data: "recent 0" }] }, { token: devs[0]! });
    await t.server.container.cache.writer.idle();

    calls.reset();
    const result = await t.gql(JobsWithLogsDocument, { filter: { vmId }, first: 10, logsFirst: 5 }, { token: viewer });
    expect(result.errors).toBeUndefined();
    const byId = new Map(result.data!.jobs.edges.map((e) => [e.node.id, e.node.logs.edges.map((l) => l.node.data)]));
    expect(byId).toEqual(
      new Map([
        [recent.id, ["recent 0"]],
        [old, ["old 0", "old 1"]],
      ]),
    );
    // postgres: the caller, the cached part of the list with the recent job's lines, then the old job's
    // lines asked of the cache (below the horizon: answered by DynamoDB).
    expect(logQueries()).toBe(2);
    expect(calls.count("postgres")).toBe(3);
    expect(calls.count("dynamodb", "Query", new RegExp(t.stores.tables.logs))).toBeGreaterThanOrEqual(1);
  });
});
