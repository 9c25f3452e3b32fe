// PostgreSQL unreachable (its TCP path cut by a proxy; the server, its Prisma
// client and DynamoDB stay real): writes still succeed, reads come from
// DynamoDB at once, and the queued cache writes land when Postgres is back.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Actor } from "../src/auth/permissions";
import { StoreCallCounter } from "../src/infra/store-calls";
import { LogsDocument } from "./generated/graphql";
import { createUserWithToken, createVm } from "./support/factories";
import { putJobItem } from "./support/fixtures";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let proxy: TcpProxy;
let calls: StoreCallCounter;
let dev: { token: string; actor: Actor };
let db: pg.Client;

beforeAll(async () => {
  const admin = new URL(inject("postgresAdminUrl"));
  proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
  t = await startTestServer({}, {
    prismaUrl: (url) => {
      const viaProxy = new URL(url);
      viaProxy.hostname = "127.0.0.1";
      viaProxy.port = String(proxy.port);
      return viaProxy.toString();
    },
  });
  const user = await createUserWithToken(t, "dev");
  dev = { token: user.token, actor: { id: user.user.id, role: "dev" } };
  calls = new StoreCallCounter({ dynamo: t.stores.dynamo.raw, prisma: t.stores.prisma });
  // Straight to the database, around the proxy: what the cache holds.
  db = new pg.Client({ connectionString: t.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  calls?.detach();
  await proxy?.restore();
  await db?.end();
  await t?.close();
  await proxy?.close();
});

const cachedJob = async (id: string) => (await db.query("SELECT status, command_id FROM jobs WHERE id = $1", [id])).rows[0];
const cachedLines = async (id: string) => Number((await db.query("SELECT count(*) AS n FROM job_logs WHERE job_id = $1", [id])).rows[0].n);

describe("PostgreSQL unreachable", () => {
  it("writes succeed, reads come from DynamoDB, and the cache catches up when Postgres is back", async () => {
    const vm = await createVm(t, dev.token);
    const { services } = t.server.container;
    await proxy.cut();
    await expect(t.stores.prisma.$queryRaw`SELECT 1`).rejects.toThrow();

    // Mutations answer from DynamoDB alone (through the services: the GraphQL
    // transport resolves its caller's token against PostgreSQL).
    const { command, job } = await services.commands.send(dev.actor, { vmId: vm.id, command: "make build" });
    const appended = await services.logs.append(dev.actor, {
      jobId: job.id,
      lines: Array.from({ length: 60 }, (_, i) => ({ ts: "2026-11-26T12:00:00.000000Z", stream: "stdout" as const, data: `out ${i}` })),
    });
    expect(appended.accepted).toBe(60);
    const finished = await services.jobs.setStatus(dev.actor, job.id, "success");
    expect(finished.status).toBe("success");

    // Readable at once, from DynamoDB.
    calls.reset();
    expect(await services.jobs.get(dev.actor, job.id, "strong")).toMatchObject({ id: job.id, status: "success", commandId: command.id });
    const listed = await services.jobs.list(dev.actor, { filter: { vmId: vm.id } });
    expect(listed.edges.map((e) => e.node)).toMatchObject([{ id: job.id, status: "success" }]);
    const logs = await services.logs.list(dev.actor, job.id, { first: 100 });
    expect(logs.edges.map((e) => e.node.data)).toEqual(Array.from({ length: 60 }, (_, i) => `out ${i}`));
    expect(calls.count("dynamodb", "Query")).toBeGreaterThanOrEqual(2);

    // A job this process never wrote (so nothing queued): the cache read fails and DynamoDB answers.
    const other = await putJobItem(t, { vmId: vm.id, startedAt: new Date(), status: "running" });
    calls.reset();
    expect(await services.jobs.get(dev.actor, other)).toMatchObject({ id: other, status: "running" });
    expect(calls.count("dynamodb", "GetItem")).toBe(1);

    expect(t.server.container.cache.writer.stats().pendingLines + t.server.container.cache.writer.stats().inflightLines).toBe(60);
    expect(await cachedJob(job.id)).toBeUndefined();

    await proxy.restore();
    await expect.poll(() => cachedLines(job.id), { timeout: 30_000, interval: 200 }).toBe(60);
    expect(await cachedJob(job.id)).toEqual({ status: "success", command_id: command.id });
    await expect.poll(async () => (await cachedJob(other))?.status, { timeout: 30_000, interval: 200 }).toBe("running");

    // Back to normal: the logs are served by the cache, the same lines.
    await t.server.container.cache.writer.idle();
    calls.reset();
    const viaCache = await t.gql(LogsDocument, { jobId: job.id, first: 100 }, { token: dev.token });
    expect(viaCache.data!.logs.edges.map((e) => e.node)).toEqual(
      logs.edges.map((e) => ({ ...e.node, stream: e.node.stream.toUpperCase() })),
    );
    expect(calls.count("dynamodb", "Query")).toBe(0);
  }, 90_000);
});
