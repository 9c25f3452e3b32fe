// Jobs: status changes, reads through the cache, and lists that continue from
// the cache into DynamoDB past the cache horizon.
import { randomUUID } from "node:crypto";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreCallCounter } from "../src/infra/store-calls";
import {
  JobDocument,
  JobsDocument,
  SetJobStatusDocument,
  VmJobsDocument,
  type JobFilter,
  type JobsQuery,
  type VmJobsQuery,
} from "./generated/graphql";
import { createUserWithToken, createVm, sendCommand } from "./support/factories";
import { daysAgo, putJobItem, putLogItem, putVmItem } from "./support/fixtures";
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

describe("setJobStatus", () => {
  it("moves RUNNING to SUCCESS once, sets finishedAt, and the cache follows", async () => {
    const { job } = await sendCommand(t, dev, (await createVm(t, dev)).id);
    const result = await t.gql(SetJobStatusDocument, { id: job.id, status: "SUCCESS" }, { token: dev });
    expect(result.errors).toBeUndefined();
    expect(result.data!.setJobStatus).toMatchObject({ id: job.id, status: "SUCCESS", startedAt: job.startedAt });
    expect(result.data!.setJobStatus.finishedAt).not.toBeNull();

    const again = await t.gql(SetJobStatusDocument, { id: job.id, status: "FAILED" }, { token: dev });
    expect(again.errors?.[0]?.extensions?.code).toBe("CONFLICT");

    await idle();
    const cached = await t.stores.prisma.job.findUnique({ where: { id: job.id } });
    expect(cached).toMatchObject({ status: "success" });
    expect(cached!.finishedAt!.toISOString()).toBe(result.data!.setJobStatus.finishedAt);
  });

  it("of concurrent calls exactly one wins; the others get CONFLICT", async () => {
    const { job } = await sendCommand(t, dev, (await createVm(t, dev)).id);
    const statuses = ["SUCCESS", "FAILED", "SUCCESS", "FAILED", "SUCCESS", "FAILED", "SUCCESS", "FAILED"] as const;
    const results = await Promise.all(statuses.map((status) => t.gql(SetJobStatusDocument, { id: job.id, status }, { token: dev })));
    const winners = results.filter((r) => !r.errors);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === "CONFLICT")).toHaveLength(statuses.length - 1);
    const strong = await t.gql(JobDocument, { id: job.id, consistency: "STRONG" }, { token: viewer });
    expect(strong.data!.job).toMatchObject(winners[0]!.data!.setJobStatus);
  });

  it("to RUNNING → CONFLICT, and the job stays as it was", async () => {
    const { job } = await sendCommand(t, dev, (await createVm(t, dev)).id);
    const result = await t.gql(SetJobStatusDocument, { id: job.id, status: "RUNNING" }, { token: dev });
    expect(result.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect((await t.gql(JobDocument, { id: job.id, consistency: "STRONG" }, { token: viewer })).data!.job).toMatchObject(job);
  });

  it("an unknown job → NOT_FOUND; an id that is not a UUID → BAD_USER_INPUT; a viewer → FORBIDDEN", async () => {
    const unknown = await t.gql(SetJobStatusDocument, { id: randomUUID(), status: "SUCCESS" }, { token: dev });
    expect(unknown.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const malformed = await t.gql(SetJobStatusDocument, { id: "job-1", status: "SUCCESS" }, { token: dev });
    expect(malformed.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const { job } = await sendCommand(t, dev, (await createVm(t, dev)).id);
    const forbidden = await t.gql(SetJobStatusDocument, { id: job.id, status: "SUCCESS" }, { token: viewer });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await t.gql(JobDocument, { id: job.id, consistency: "STRONG" }, { token: viewer })).data!.job!.status).toBe("RUNNING");
  });
});

describe("job(id)", () => {
  it("CACHE reads Postgres once the writer has flushed; STRONG reads DynamoDB", async () => {
    const { job } = await sendCommand(t, dev, (await createVm(t, dev)).id);
    await idle();
    calls.reset();
    const cached = await t.gql(JobDocument, { id: job.id }, { token: viewer });
    expect(cached.data!.job).toMatchObject(job);
    expect(calls.count("dynamodb", "GetItem", new RegExp(t.stores.tables.jobs))).toBe(0);
    expect(calls.count("postgres", "SELECT", /FROM jobs/)).toBe(1);

    calls.reset();
    const strong = await t.gql(JobDocument, { id: job.id, consistency: "STRONG" }, { token: viewer });
    expect(strong.data!.job).toMatchObject(job);
    expect(calls.count("dynamodb", "GetItem", new RegExp(t.stores.tables.jobs))).toBe(1);
    expect(calls.count("postgres", "SELECT", /FROM jobs/)).toBe(0);
  });

  it("a miss reads DynamoDB, then backfills the job with all its lines", async () => {
    const vm = await createVm(t, dev);
    const id = await putJobItem(t, { vmId: vm.id, startedAt: new Date(), status: "running" });
    await putLogItem(t, { jobId: id, ts: "2026-11-26T09:41:10.000001Z", data: "one" });
    await putLogItem(t, { jobId: id, ts: "2026-11-26T09:41:10.000002Z", data: "two", stream: "stderr" });
    expect(await t.stores.prisma.job.count({ where: { id } })).toBe(0);

    const read = await t.gql(JobDocument, { id }, { token: viewer });
    expect(read.data!.job).toMatchObject({ id, vmId: vm.id, status: "RUNNING", commandId: null });
    await expect.poll(() => t.stores.prisma.jobLog.count({ where: { jobId: id } }), { timeout: 10_000 }).toBe(2);
    expect(await t.stores.prisma.job.count({ where: { id } })).toBe(1);
  });

  it("answers null for an unknown id; BAD_USER_INPUT for one that is not a UUID", async () => {
    expect((await t.gql(JobDocument, { id: randomUUID() }, { token: viewer })).data!.job).toBeNull();
    const malformed = await t.gql(JobDocument, { id: "nope" }, { token: viewer });
    expect(malformed.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

/** Every page of jobs(filter), walked with `first`. */
async function walkJobs(filter: JobFilter | null, first: number): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 200; guard++) {
    const page: GraphQLResponse<JobsQuery> = await t.gql(JobsDocument, { filter, first, after }, { token: viewer });
    expect(page.errors).toBeUndefined();
    seen.push(...page.data!.jobs.edges.map((e) => e.node.id));
    if (!page.data!.jobs.pageInfo.hasNextPage) return seen;
    after = page.data!.jobs.pageInfo.endCursor ?? null;
  }
  throw new Error("too many pages");
}

async function walkVmJobs(vmId: string, first: number, status?: "SUCCESS" | "RUNNING"): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 200; guard++) {
    const page: GraphQLResponse<VmJobsQuery> = await t.gql(VmJobsDocument, { id: vmId, first, after, status }, { token: viewer });
    expect(page.errors).toBeUndefined();
    seen.push(...page.data!.vm!.jobs.edges.map((e) => e.node.id));
    if (!page.data!.vm!.jobs.pageInfo.hasNextPage) return seen;
    after = page.data!.vm!.jobs.pageInfo.endCursor ?? null;
  }
  throw new Error("too many pages");
}

describe("lists across the cache horizon", () => {
  // A VM created 60 days ago: 3 old jobs (2 sharing one startedAt) only DynamoDB
  // can answer, one old job the purge has not removed from the cache yet, and 3
  // new jobs sent now.
  const vmId = `vm-old-${randomUUID().slice(0, 8)}`;
  let newest: string[] = [];
  let oldest: string[] = [];

  beforeAll(async () => {
    await putVmItem(t, { id: vmId, createdAt: daysAgo(60) });
    const tie = daysAgo(20);
    const old = [
      await putJobItem(t, { vmId, startedAt: tie }),
      await putJobItem(t, { vmId, startedAt: tie }),
      await putJobItem(t, { vmId, startedAt: daysAgo(30), status: "failed" }),
    ];
    const unpurged = await putJobItem(t, { vmId, startedAt: daysAgo(10) });
    await t.stores.prisma.job.create({
      data: { id: unpurged, vmId, command: "fixture", status: "success", startedAt: daysAgo(10), cachedAt: daysAgo(10) },
    });
    const fresh: string[] = [];
    for (let i = 0; i < 3; i++) fresh.push((await sendCommand(t, dev, vmId, `echo ${i}`)).job.id);
    await idle();
    newest = [...fresh].reverse();
    const tied = old.slice(0, 2).sort().reverse();
    oldest = [unpurged, ...tied, old[2]!];
  });

  it.each([1, 2, 3, 10])("Vm.jobs walks cache then DynamoDB, newest first, no repeats (first: %i)", async (first) => {
    expect(await walkVmJobs(vmId, first)).toEqual([...newest, ...oldest]);
  });

  it.each([1, 2, 4])("jobs(filter: {vmId}) walks the same order (first: %i)", async (first) => {
    expect(await walkJobs({ vmId }, first)).toEqual([...newest, ...oldest]);
  });

  it("a page inside the horizon is the cache's alone; the seam costs one DynamoDB query", async () => {
    calls.reset();
    const page = await t.gql(VmJobsDocument, { id: vmId, first: 2 }, { token: viewer });
    expect(page.data!.vm!.jobs.edges.map((e) => e.node.id)).toEqual(newest.slice(0, 2));
    expect(calls.count("dynamodb", "Query", new RegExp(t.stores.tables.jobs))).toBe(0);
    calls.reset();
    const seam = await t.gql(VmJobsDocument, { id: vmId, first: 5 }, { token: viewer });
    expect(seam.data!.vm!.jobs.edges.map((e) => e.node.id)).toEqual([...newest, ...oldest].slice(0, 5));
    expect(calls.count("dynamodb", "Query", new RegExp(t.stores.tables.jobs))).toBe(1);
  });

  it("filters by status in both stores", async () => {
    expect(await walkJobs({ vmId, status: "FAILED" }, 1)).toEqual([oldest[3]]);
    expect(await walkVmJobs(vmId, 2, "RUNNING")).toEqual(newest);
  });

  it("filters by startedAfter / startedBefore", async () => {
    expect(await walkJobs({ vmId, startedAfter: daysAgo(25).toISOString(), startedBefore: daysAgo(5).toISOString() }, 1)).toEqual(
      oldest.slice(0, 3),
    );
  });

  it("jobs() over every VM matches DynamoDB's own order, page after page", async () => {
    await idle();
    const out = await t.stores.dynamo.doc.send(new ScanCommand({ TableName: t.stores.tables.jobs }));
    const expected = (out.Items ?? [])
      .map((i) => ({ id: String(i.jobId), at: String(i.startedAt) }))
      .sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1))
      .map((j) => j.id);
    expect(await walkJobs(null, 7)).toEqual(expected);
  });

  it("a malformed cursor or first out of range → BAD_USER_INPUT", async () => {
    const cursor = await t.gql(JobsDocument, { after: "garbage" }, { token: viewer });
    expect(cursor.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const first = await t.gql(JobsDocument, { first: 101 }, { token: viewer });
    expect(first.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const vmJobs = await t.gql(VmJobsDocument, { id: vmId, after: "garbage" }, { token: viewer });
    expect(vmJobs.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("a job the cache refuses", () => {
  it("is dropped from the cache writes (DynamoDB still serves it) and later writes still land", async () => {
    const vm = await createVm(t, dev);
    // A foreign writer's item with text PostgreSQL cannot hold (a NUL).
    const poison = await putJobItem(t, { vmId: vm.id, startedAt: new Date(), status: "running", command: "echo \u0000" });
    const read = await t.gql(JobDocument, { id: poison }, { token: viewer });
    expect(read.data!.job).toMatchObject({ id: poison, command: "echo \u0000" });
    // The backfill runs in the background; the writer then meets the poison.
    await expect.poll(() => t.server.container.cache.writer.isComplete(), { timeout: 10_000 }).toBe(false);
    expect(await t.stores.prisma.job.count({ where: { id: poison } })).toBe(0);

    const { job } = await sendCommand(t, dev, vm.id);
    await idle();
    expect(await t.stores.prisma.job.count({ where: { id: job.id } })).toBe(1);
    // Lists stop trusting the cache until a catch-up says it is complete again.
    calls.reset();
    const page = await t.gql(VmJobsDocument, { id: vm.id }, { token: viewer });
    expect(page.data!.vm!.jobs.edges.map((e) => e.node.id)).toEqual([job.id, poison]);
    expect(calls.count("postgres", "SELECT", /FROM jobs/)).toBe(0);
    t.server.container.cache.writer.markCaughtUp();
  });
});
