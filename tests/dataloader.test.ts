// Store calls per request, counted on the real clients: a page of N VMs with
// their jobs costs the same for N = 1 and N = 50.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreCallCounter } from "../src/infra/store-calls";
import { createLoaders } from "../src/graphql/loaders";
import { VmsWithCommandsDocument, VmsWithJobsDocument } from "./generated/graphql";
import { createUserWithToken, createVm, sendCommand } from "./support/factories";
import { putVmItem } from "./support/fixtures";
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
