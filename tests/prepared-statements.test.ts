// The reads run with queryPrepared() (the cache's, and the caller's user row):
// on the driver under Prisma's adapter, answering as the same statements do
// through Prisma's $queryRaw (rows, column types, nulls, dates); prepared once
// per connection (or not at all with DATABASE_PREPARED_STATEMENTS=off),
// answering as the unprepared statements do, past the runs after which
// PostgreSQL may switch to its generic plan; and counted as store calls.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobCacheRepository } from "../src/cache/job-cache.repository";
import { ConfigError, loadConfig } from "../src/config/env";
import { createPrisma, MAX_PREPARED_STATEMENTS, preparedStatementNames, type PrismaClient } from "../src/infra/postgres/prisma";
import { StoreCallCounter } from "../src/infra/store-calls";
import type { Job } from "../src/jobs/job.model";
import type { LogLine } from "../src/logs/log-line.model";
import { UserRepository } from "../src/users/user.repository";
import { createTestDatabase } from "./support/stores";

let database: { url: string; drop(): Promise<void> };
let preparing: PrismaClient;
let plain: PrismaClient;
let viaPrisma: PrismaClient;
const jobs: Job[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  preparing = createPrisma(database.url);
  plain = createPrisma(database.url, { preparedStatements: false });
  viaPrisma = createPrisma(database.url, { preparedReads: "prisma" });
  const lines: LogLine[] = [];
  for (let i = 0; i < 8; i++) {
    const job: Job = {
      id: randomUUID(),
      vmId: `vm-prepared-${i % 2}`,
      commandId: null,
      command: `echo ${i}`,
      status: "success",
      startedAt: new Date(Date.now() - (i + 1) * 60_000),
      finishedAt: new Date(Date.now() - i * 60_000),
    };
    jobs.push(job);
    for (let n = 0; n < 5 + i; n++) {
      lines.push({ jobId: job.id, ts: `2026-11-26T10:00:0${n % 10}.${String(n * 10).padStart(6, "0")}Z`, stream: n % 3 ? "stdout" : "stderr", data: `line ${n} of job ${i}` });
    }
  }
  await new JobCacheRepository(plain).upsert(jobs, lines);
});
afterAll(async () => {
  await preparing?.$disconnect();
  await plain?.$disconnect();
  await viaPrisma?.$disconnect();
  await database?.drop();
});

/**
 * The statements prepared on the connection a client hands out next. Both
 * clients here run one statement at a time, and node-postgres's pool hands
 * out the connection released last, so that is the one the reads used.
 */
async function preparedOnConnection(prisma: PrismaClient): Promise<string[]> {
  const rows = await prisma.$queryRaw<Array<{ statement: string }>>`SELECT statement FROM pg_prepared_statements ORDER BY prepare_time`;
  return rows.map((r) => r.statement);
}

/** Every marked read of the cache, each for every job (or VM): more runs than PostgreSQL's five custom plans. */
async function readEverything(cache: JobCacheRepository) {
  const answers: unknown[] = [];
  for (const job of jobs) {
    answers.push(await cache.jobWithLogs(job.id, { limit: 3 }));
    answers.push(await cache.jobWithLogs(job.id, { limit: 50, after: "2026-11-26T10:00:01.000010Z", stream: "stdout" }));
    answers.push(await cache.getJob(job.id));
    answers.push(await cache.logsForJobs([job.id, jobs[0]!.id], { limit: 4 }));
    answers.push(await cache.listJobs({ vmId: job.vmId, from: new Date(0), limit: 3 }, { limit: 2 }));
    answers.push(await cache.jobsForVms([{ vmId: job.vmId, from: new Date(0) }, { vmId: "vm-none", from: new Date(0) }], { limit: 2 }));
  }
  answers.push(await cache.getJobs(jobs.map((j) => j.id)));
  return answers;
}

describe("prepared cache reads", () => {
  it("answer as the same statements through Prisma do, and as the reads unprepared do, run after run", async () => {
    const throughPrisma = await readEverything(new JobCacheRepository(viaPrisma));
    expect(await readEverything(new JobCacheRepository(plain))).toEqual(throughPrisma);
    expect(await readEverything(new JobCacheRepository(preparing))).toEqual(throughPrisma);
    expect(await readEverything(new JobCacheRepository(preparing))).toEqual(throughPrisma);
  });

  it("each count as one Postgres store call, as Prisma's statements do", async () => {
    const calls = new StoreCallCounter({ prisma: preparing });
    try {
      const cache = new JobCacheRepository(preparing);
      await cache.jobWithLogs(jobs[0]!.id, { limit: 3 });
      await cache.getJobs([jobs[0]!.id, jobs[1]!.id]);
      await new UserRepository(preparing).findByIds([randomUUID()]);
      expect(calls.count("postgres")).toBe(3);
      expect(calls.count("postgres", "SELECT", /AS lines FROM jobs j WHERE j\.id = \$\d+::uuid/)).toBe(1);
      expect(calls.count("postgres", "SELECT", /FROM users WHERE id = ANY/)).toBe(1);
      expect(calls.calls.every((call) => call.ok && call.durationSeconds > 0)).toBe(true);
    } finally {
      calls.detach();
    }
  });

  it("are prepared once on the connection; with DATABASE_PREPARED_STATEMENTS=off, none is", async () => {
    const cache = new JobCacheRepository(preparing);
    await cache.jobWithLogs(jobs[0]!.id, { limit: 3, since: "2026-11-26T10:00:00.000000Z" });
    const afterOne = await preparedOnConnection(preparing);
    expect(afterOne.filter((s) => s.includes("l.ts >= $") && s.includes("AS lines FROM jobs j WHERE j.id = $"))).toHaveLength(1);
    await cache.jobWithLogs(jobs[1]!.id, { limit: 3, since: "2026-11-26T10:00:00.000000Z" });
    expect(await preparedOnConnection(preparing)).toEqual(afterOne);

    await new JobCacheRepository(plain).jobWithLogs(jobs[0]!.id, { limit: 3 });
    expect(await preparedOnConnection(plain)).toEqual([]);
  });

  it("the caller's row (UserRepository.findByIds) answers as Prisma's findMany does; an id that is not a UUID matches no row", async () => {
    const users = new UserRepository(preparing);
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await users.create({ email: `prepared-${randomUUID()}@example.com`, passwordHash: "x", role: "viewer" }));
    const ids = created.map((u) => u.id);
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    const expected = (await plain.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true, role: true, createdAt: true, updatedAt: true } })).sort(byId);
    expect(expected).toHaveLength(3);
    for (let run = 0; run < 8; run++) {
      expect((await users.findByIds(ids)).sort(byId)).toEqual(expected);
      expect(await users.findByIds([ids[run % 3]!])).toEqual([expected.find((u) => u.id === ids[run % 3])]);
    }
    expect(await users.findByIds(["not-a-uuid", ids[0]!, randomUUID()])).toEqual([expected.find((u) => u.id === ids[0])]);
    expect(await users.findByIds(["not-a-uuid"])).toEqual([]);
    expect((await preparedOnConnection(preparing)).filter((s) => s.includes("FROM users WHERE id = ANY"))).toHaveLength(1);
  });

  it("name each text once, and at most MAX_PREPARED_STATEMENTS texts", () => {
    const names = preparedStatementNames();
    const a = "SELECT 1";
    expect(names(a)).toBe(names(a));
    expect(names("SELECT 2")).not.toBe(names(a));
    for (let i = 0; i < MAX_PREPARED_STATEMENTS; i++) names(`SELECT ${i + 3}`);
    expect(names("SELECT 'one too many'")).toBeUndefined();
    expect(names(a)).toBeDefined();
  });
});

describe("DATABASE_PREPARED_STATEMENTS", () => {
  it("is on by default, and only on or off", () => {
    expect(loadConfig({}).databasePreparedStatements).toBe(true);
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: "off" }).databasePreparedStatements).toBe(false);
    expect(() => loadConfig({ DATABASE_PREPARED_STATEMENTS: "yes" })).toThrow(/DATABASE_PREPARED_STATEMENTS: must be "on" or "off"/);
    expect(() => loadConfig({ DATABASE_PREPARED_STATEMENTS: "yes" })).toThrow(ConfigError);
  });
});
