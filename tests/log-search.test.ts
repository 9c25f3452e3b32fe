// Log search (issue 16): one job (cache or DynamoDB, bounded work per call),
// every cached job (pg_trgm), the matching rules, the bounds, bad input.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreCallCounter } from "../src/infra/store-calls";
import { SCAN } from "../src/search/log-search.service";
import {
  AppendJobLogsDocument,
  JobSearchLogsDocument,
  LogsDocument,
  SearchLogsDocument,
  type JobSearchLogsQuery,
  type LogLineInput,
  type LogSearchInput,
} from "./generated/graphql";
import { storedCounts } from "./support/counts";
import { createUserWithToken, createVm, sendCommand } from "./support/factories";
import { fromMicros } from "../src/shared/log-timestamp";
import { daysAgo, putJobItem, putLogItems } from "./support/fixtures";
import { expectError, restClient } from "./support/rest";
import pg from "pg";
import { startPeerServer, startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let dev: string;
let viewer: string;
let calls: StoreCallCounter;
let rest: ReturnType<typeof restClient>;

beforeAll(async () => {
  t = await startTestServer();
  dev = (await createUserWithToken(t, "dev")).token;
  viewer = (await createUserWithToken(t, "viewer")).token;
  calls = new StoreCallCounter({ dynamo: t.stores.dynamo.raw, prisma: t.stores.prisma });
  rest = restClient(t);
});
afterAll(async () => {
  calls?.detach();
  await t?.close();
});

const idle = () => t.server.container.cache.writer.idle();
type Page = NonNullable<JobSearchLogsQuery["job"]>["searchLogs"];

async function newJob(vmId?: string) {
  return (await sendCommand(t, dev, vmId ?? (await createVm(t, dev)).id)).job;
}

/**
 * Thousands of lines straight into the stores (DynamoDB, and the cache when
 * `cached`), one ts per line from 2026-11-30: the tests of the scan bound
 * need more lines than appends write quickly on a loaded DynamoDB Local.
 */
async function seedLines(jobId: string, texts: string[], cached: boolean) {
  const base = BigInt(Date.parse("2026-11-30T00:00:00Z")) * 1000n;
  const lines = texts.map((data, i) => ({ jobId, ts: fromMicros(base + BigInt(i)), stream: "stdout" as const, data }));
  await putLogItems(t, lines);
  if (cached) await t.server.container.repositories.jobCache.upsert([(await t.server.container.repositories.jobs.get(jobId, true))!], lines);
}

async function append(jobId: string, lines: Array<string | LogLineInput>) {
  for (let i = 0; i < lines.length; i += 5_000) {
    const batch = lines.slice(i, i + 5_000).map((l) => (typeof l === "string" ? { stream: "STDOUT" as const, data: l } : l));
    const result = await t.gql(AppendJobLogsDocument, { jobId, lines: batch }, { token: dev });
    expect(result.errors).toBeUndefined();
  }
}

async function searchJob(id: string, query: LogSearchInput, first?: number, after?: string | null): Promise<Page> {
  const res = await t.gql(JobSearchLogsDocument, { id, query, first, after }, { token: viewer });
  expect(res.errors).toBeUndefined();
  return res.data!.job!.searchLogs;
}

/** Every match of one job, call after call, and how many calls it took. */
async function searchJobAll(id: string, query: LogSearchInput, first = 100) {
  const matches: Page["edges"] = [];
  let after: string | null = null;
  for (let call = 1; call <= 50; call++) {
    const page: Page = await searchJob(id, query, first, after);
    matches.push(...page.edges);
    if (!page.pageInfo.hasNextPage) return { matches, calls: call };
    after = page.pageInfo.endCursor;
  }
  throw new Error("too many calls");
}

describe("one job (Job.searchLogs, GET /api/logs/{jobId}/search)", () => {
  it("answers its matching lines oldest first, with ranges and a Job.logs cursor per match", async () => {
    const job = await newJob();
    await append(job.id, ["boot ok", "disk FULL on /var", "retry", "Disk full again, disk full", "done"]);
    await idle();
    const page = await searchJob(job.id, { text: "disk full" });
    expect(page.pageInfo).toEqual({ hasNextPage: false, endCursor: page.edges[1]!.cursor });
    expect(page.edges.map((e) => e.node.line.data)).toEqual(["disk FULL on /var", "Disk full again, disk full"]);
    expect(page.edges[1]!.node.ranges).toEqual([
      { start: 0, end: 9 },
      { start: 17, end: 26 },
    ]);
    expect(page.edges[0]!.node.job).toEqual({ id: job.id, vmId: job.vmId, status: "RUNNING" });
    // lineCursor is a Job.logs cursor: reading on from it starts at the next line.
    const next = await t.gql(LogsDocument, { jobId: job.id, first: 1, after: page.edges[0]!.node.lineCursor }, { token: viewer });
    expect(next.data!.logs.edges[0]!.node.data).toBe("retry");

    const res = await rest.get(`/logs/${job.id}/search`, { token: viewer, query: { q: "disk full" } });
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items[1]).toEqual({
      line: page.edges[1]!.node.line && { ...page.edges[1]!.node.line, stream: "stdout" },
      jobId: job.id,
      ranges: [
        [0, 9],
        [17, 26],
      ],
      lineCursor: page.edges[1]!.node.lineCursor,
    });
  });

  it("pages by `first`: the cursor continues after the last match, hasNextPage until the end", async () => {
    const job = await newJob();
    await append(job.id, Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? `hit ${i}` : `miss ${i}`)));
    await idle();
    const { matches, calls: pages } = await searchJobAll(job.id, { text: "hit" }, 4);
    expect(matches.map((m) => m.node.line.data)).toEqual(Array.from({ length: 10 }, (_, i) => `hit ${i * 3}`));
    expect(pages).toBe(3);
  });

  it("reads at most SCAN.maxLines lines a call, from the cache: an empty page with hasNextPage, then the match", async () => {
    const job = await newJob();
    const lines = Array.from({ length: SCAN.maxLines + 700 }, (_, i) => `line ${i}`);
    lines[SCAN.maxLines + 500] = "the needle is here";
    await idle();
    await seedLines(job.id, lines, true);
    calls.reset();
    const first = await searchJob(job.id, { text: "needle" });
    expect(first.edges).toEqual([]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    // Served by the cache, in pages of SCAN.pageLines: no DynamoDB call.
    expect(calls.calls.filter((c) => c.store === "dynamodb")).toEqual([]);
    const second = await searchJob(job.id, { text: "needle" }, 100, first.pageInfo.endCursor);
    expect(second.edges.map((e) => e.node.line.data)).toEqual(["the needle is here"]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it("reads DynamoDB when the cache rules of logs do not allow it (a job started before the horizon), with the same answers", async () => {
    const vm = await createVm(t, dev);
    const jobId = await putJobItem(t, { vmId: vm.id, startedAt: daysAgo(8), status: "running" });
    const lines = Array.from({ length: SCAN.maxLines + 10 }, (_, i) => (i % 1000 === 999 ? `ERROR at ${i}` : `ok ${i}`));
    await seedLines(jobId, lines, false);
    calls.reset();
    const { matches, calls: pages } = await searchJobAll(jobId, { text: "error at" });
    expect(matches.map((m) => m.node.line.data)).toEqual(["ERROR at 999", "ERROR at 1999", "ERROR at 2999", "ERROR at 3999", "ERROR at 4999"]);
    expect(pages).toBe(2);
    expect(calls.calls.some((c) => c.store === "dynamodb" && c.operation === "Query")).toBe(true);
  });
});

async function searchAll(query: LogSearchInput, filter?: Record<string, unknown> | null, first?: number, after?: string | null) {
  const res = await t.gql(SearchLogsDocument, { query, filter, first, after }, { token: viewer });
  expect(res.errors).toBeUndefined();
  return res.data!.searchLogs;
}

/** A word no other test's lines hold. */
const word = () => `w${randomUUID().replace(/-/g, "").slice(0, 10)}`;

describe("every job (Query.searchLogs, GET /api/logs/search)", () => {
  it("answers newest job first, then oldest line; filter and paging across jobs", async () => {
    const needle = word();
    const vm = await createVm(t, dev);
    const older = await newJob(vm.id);
    const newer = await newJob();
    await append(older.id, [`${needle} one`, "nothing", `two ${needle.toUpperCase()}`]);
    await append(newer.id, [`three ${needle}`]);
    await idle();

    const all = await searchAll({ text: needle });
    expect(all.edges.map((e) => [e.node.job.id, e.node.line.data])).toEqual([
      [newer.id, `three ${needle}`],
      [older.id, `${needle} one`],
      [older.id, `two ${needle.toUpperCase()}`],
    ]);
    expect(all.edges[2]!.node.ranges).toEqual([{ start: 4, end: 4 + needle.length }]);
    expect(all.pageInfo.hasNextPage).toBe(false);

    const byVm = await searchAll({ text: needle }, { vmId: vm.id });
    expect(byVm.edges.map((e) => e.node.job.id)).toEqual([older.id, older.id]);

    // One match a page: the cursor carries (job, line) across jobs.
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 5; i++) {
      const page: Page = await searchAll({ text: needle }, null, 1, after);
      seen.push(...page.edges.map((e) => e.node.line.data));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.edges.map((e) => e.node.line.data));

    const res = await rest.get("/logs/search", { token: viewer, query: { q: needle, vmId: vm.id, limit: "1" } });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { line: { ...byVm.edges[0]!.node.line, stream: "stdout" }, jobId: older.id, ranges: [[0, needle.length]], lineCursor: byVm.edges[0]!.node.lineCursor },
    ]);
    const rest2 = await rest.get("/logs/search", { token: viewer, query: { q: needle, vmId: vm.id, limit: "1", cursor: res.body.nextCursor } });
    expect(rest2.body.items.map((m: any) => m.line.data)).toEqual([`two ${needle.toUpperCase()}`]);
    expect(rest2.body.nextCursor).toBeNull();
  });

  it("covers the cache's retention only: a job started before CACHE_TTL_DAYS is not searched (Job.searchLogs still finds it)", async () => {
    const needle = word();
    const vm = await createVm(t, dev);
    const old = await putJobItem(t, { vmId: vm.id, startedAt: daysAgo(7, -60_000), status: "running" });
    const recent = await newJob(vm.id);
    await append(old, [`${needle} old`]);
    await append(recent.id, [`${needle} recent`]);
    await idle();
    expect((await searchAll({ text: needle })).edges.map((e) => e.node.line.data)).toEqual([`${needle} recent`]);
    expect((await searchJob(old, { text: needle })).edges.map((e) => e.node.line.data)).toEqual([`${needle} old`]);
  });

  it("is served by the pg_trgm index on the lines' visible text", async () => {
    const { searchStatement } = await import("../src/search/log-search.repository");
    const { compileLogPattern } = await import("../src/search/log-pattern");
    const statement = searchStatement({ pattern: compileLogPattern("disk full", false).sql, from: daysAgo(7), limit: 51 });
    const plan = await t.stores.prisma.$transaction(async (tx) => {
      // On a small table a scan is cheapest; what matters here is that the index can serve the statement's match.
      await tx.$executeRawUnsafe("SET LOCAL enable_seqscan = off");
      await tx.$executeRawUnsafe("SET LOCAL enable_indexscan = off");
      return tx.$queryRaw<Array<{ "QUERY PLAN": string }>>`EXPLAIN ${statement}`;
    });
    const text = plan.map((r) => r["QUERY PLAN"]).join("\n");
    expect(text).toMatch(/Bitmap Index Scan on idx_job_logs_visible_data_trgm .*\n\s+Index Cond: \(regexp_replace\(data, .* ~ /);
  });
});

describe("matching", () => {
  const ESC = "\u001b";
  let vmId: string;
  let jobId: string;
  const corpus = [
    `${ESC}[31mERROR${ESC}[0m disk full`,
    `${ESC}[1;32mstart${ESC}[0m of run`,
    "error   42 in step",
    "Error 7",
    "mail root@host now",
    "BX12 and ax9",
    "ÉÉ Ünïcode 🚀 ok",
    "a\nb on two rows",
    "literal .* and 50%_ here",
    "almost done",
    `${ESC}[38;5;196mred${ESC}[0m`,
  ];

  beforeAll(async () => {
    vmId = (await createVm(t, dev)).id;
    jobId = (await newJob(vmId)).id;
    await append(jobId, corpus);
    await idle();
  });

  /** The lines one search finds, computed by JavaScript (one job) and selected by PostgreSQL (every job): they must agree. */
  async function both(query: LogSearchInput) {
    const inJob = (await searchJobAll(jobId, query)).matches.map((e) => e.node);
    const everywhere = (await searchAll(query, { vmId })).edges.map((e) => e.node);
    expect(everywhere.map((m) => [m.line.data, m.ranges]), JSON.stringify(query)).toEqual(inJob.map((m) => [m.line.data, m.ranges]));
    return inJob;
  }

  it("is case-insensitive; ANSI escapes neither break a match nor are matched; ranges point into the data as stored", async () => {
    const [hit] = await both({ text: "error disk" });
    expect(hit!.line.data).toBe(corpus[0]);
    // "ERROR" starts after ESC[31m (5 code units); the range ends after "disk", spanning the ESC[0m between.
    expect(hit!.ranges).toEqual([{ start: 5, end: 19 }]);
    expect(corpus[0]!.slice(5, 19)).toBe(`ERROR${ESC}[0m disk`);
    expect(await both({ text: "31m" })).toEqual([]);
    expect(await both({ text: "38;5" })).toEqual([]);
    expect((await both({ text: "éé ü" })).map((m) => m.line.data)).toEqual([corpus[6]]);
    expect((await both({ text: "ERROR" })).map((m) => m.line.data)).toEqual([corpus[0], corpus[2], corpus[3]]);
  });

  it("plain text is literal: regex and LIKE characters match themselves", async () => {
    expect((await both({ text: ".* and 50%_" })).map((m) => m.line.data)).toEqual([corpus[8]]);
    expect(await both({ text: "e.r" })).toEqual([]);
  });

  it("regex: the dialect means the same in PostgreSQL and JavaScript", async () => {
    const cases: Array<[string, string[]]> = [
      ["err(or)?\\s+\\d{2,}", [corpus[2]!]],
      ["^start", [corpus[1]!]],
      ["done$", [corpus[9]!]],
      ["[a-c]x\\d+", [corpus[5]!]],
      ["é+ ü", [corpus[6]!]],
      ["a.b on", [corpus[7]!]],
      ["\\.\\*", [corpus[8]!]],
      ["\\w+@\\w+", [corpus[4]!]],
      ["^red$", [corpus[10]!]],
      ["🚀|\\d{3}", [corpus[6]!]],
    ];
    for (const [text, lines] of cases) {
      expect((await both({ text, regex: true })).map((m) => m.line.data), text).toEqual(lines);
    }
  });

  it("regex: refuses, with BAD_USER_INPUT naming why, what is invalid or what the two engines would read differently", async () => {
    const refused: Array<[string, RegExp]> = [
      ["(unclosed", /invalid regular expression/],
      ["foo(?=bar)", /lookaround/],
      ["(?<!x)foo", /lookaround/],
      ["\\bfoo\\b", /word boundaries/],
      ["(ab)\\1", /backreferences/],
      ["a+?bc", /lazy/],
      ["\\p{L}+x", /Unicode properties/],
      ["[!-~]abc", /ranges go within/],
      ["[\\D]abc", /inside a class/],
      ["x{256}", /counts go up to 255/],
      ["abc|", /matches the empty string/],
    ];
    for (const [text, why] of refused) {
      const gql = await t.gql(SearchLogsDocument, { query: { text, regex: true } }, { token: viewer });
      expect(gql.errors?.[0]?.extensions?.code, text).toBe("BAD_USER_INPUT");
      expect(gql.errors?.[0]?.message, text).toMatch(why);
      const inJob = await t.gql(JobSearchLogsDocument, { id: jobId, query: { text, regex: true } }, { token: viewer });
      expect(inJob.errors?.[0]?.extensions?.code, text).toBe("BAD_USER_INPUT");
      const res = await rest.get(`/logs/${jobId}/search`, { token: viewer, query: { q: text, regex: "true" } });
      expect(res.status, text).toBe(400);
      expect(res.body.error.problems, text).toEqual([{ path: "query.text", message: expect.stringMatching(why) }]);
    }
  });

  it("reports at most 100 ranges a line", async () => {
    const { compileLogPattern, MAX_RANGES_PER_LINE } = await import("../src/search/log-pattern");
    const ranges = compileLogPattern("abc", false).ranges("abc ".repeat(150));
    expect(ranges).toHaveLength(MAX_RANGES_PER_LINE);
    expect(ranges.at(-1)).toEqual({ start: 396, end: 399 });
  });

  it("strips escape sequences exactly as the index's expression does", async () => {
    const { ANSI_CSI, visibleText } = await import("../src/search/log-pattern");
    const samples = [...corpus, `${ESC}[`, `${ESC}[31`, `x${ESC}[?25lhidden${ESC}[?25h`, `${ESC}${ESC}[0mz`, `${ESC}[0;${ESC}[1mq`, `${ESC}]0;title${ESC}\\`];
    for (const data of samples) {
      // ANSI_CSI is the index's pattern: the EXPLAIN test above shows the statement using it matches the migration's.
      const rows = await t.stores.prisma.$queryRawUnsafe<Array<{ v: string }>>("SELECT regexp_replace($1, $2, '', 'g') AS v", data, ANSI_CSI);
      expect(visibleText(data).text, JSON.stringify(data)).toBe(rows[0]!.v);
    }
  });
});

describe("bounds", () => {
  it("a search statement past SEARCH_STATEMENT_TIMEOUT_MS answers TIMEOUT (GraphQL) / 503 TIMEOUT (REST), not 500", async () => {
    const peer = await startPeerServer(t, { SEARCH_STATEMENT_TIMEOUT_MS: "300" });
    const blocker = new pg.Client(t.databaseUrl);
    await blocker.connect();
    try {
      // The statement waits on this lock until its statement_timeout cancels it: a slow search, made certain.
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE job_logs IN ACCESS EXCLUSIVE MODE");
      const gql = await peer.gql(SearchLogsDocument, { query: { text: "anything" } }, { token: viewer });
      expect(gql.errors?.[0]?.extensions?.code).toBe("TIMEOUT");
      expect(gql.errors?.[0]?.message).toMatch(/took longer than 300 ms/);
      const res = await restClient(peer).get("/logs/search", { token: viewer, query: { q: "anything" } });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe("TIMEOUT");
      await blocker.query("ROLLBACK");
      // The timeout was the statement's own (SET LOCAL): the next search on the same pool runs.
      expect((await peer.gql(SearchLogsDocument, { query: { text: "anything" } }, { token: viewer })).errors).toBeUndefined();
    } finally {
      await blocker.end();
      await peer.close();
    }
  });

  it("caps first at 100 (GraphQL refuses more, REST lowers limit to it)", async () => {
    const job = await newJob();
    for (const first of [0, 101]) {
      const all = await t.gql(SearchLogsDocument, { query: { text: "abc" }, first }, { token: viewer });
      expect(all.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      const one = await t.gql(JobSearchLogsDocument, { id: job.id, query: { text: "abc" }, first }, { token: viewer });
      expect(one.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
    expect((await rest.get("/logs/search", { token: viewer, query: { q: "abc", limit: "1000" } })).status).toBe(200);
    expect((await rest.get(`/logs/${job.id}/search`, { token: viewer, query: { q: "abc", limit: "1000" } })).status).toBe(200);
  });

  it("the default document limits let both searches through at their default first, ranges and job included", async () => {
    const job = await newJob();
    expect((await searchJob(job.id, { text: "abc" })).edges).toEqual([]);
    expect((await t.gql(SearchLogsDocument, { query: { text: "abc" } }, { token: viewer })).errors).toBeUndefined();
  });
});

describe("bad input: the code, and nothing changed", () => {
  let jobId: string;
  beforeAll(async () => {
    jobId = (await newJob()).id;
    await append(jobId, ["some line"]);
  });

  type Case = { name: string; code: string; status: number; gql: () => Promise<{ errors?: Array<{ extensions?: { code?: string } }> }>; rest: () => ReturnType<typeof rest.get> };
  const gqlAll = (vars: Record<string, unknown>) => () => t.gql(SearchLogsDocument, { query: { text: "line" }, ...vars } as never, { token: viewer });
  const gqlJob = (id: string, vars: Record<string, unknown>) => () => t.gql(JobSearchLogsDocument, { id, query: { text: "line" }, ...vars } as never, { token: viewer });
  const cases = (): Case[] => [
    { name: "text under 3 characters (all jobs)", code: "BAD_USER_INPUT", status: 400, gql: gqlAll({ query: { text: "ab" } }), rest: () => rest.get("/logs/search", { token: viewer, query: { q: "ab" } }) },
    { name: "text under 3 characters (one job)", code: "BAD_USER_INPUT", status: 400, gql: gqlJob(jobId, { query: { text: "ab" } }), rest: () => rest.get(`/logs/${jobId}/search`, { token: viewer, query: { q: "ab" } }) },
    { name: "an invalid regex", code: "BAD_USER_INPUT", status: 400, gql: gqlAll({ query: { text: "(line", regex: true } }), rest: () => rest.get(`/logs/${jobId}/search`, { token: viewer, query: { q: "(line", regex: "true" } }) },
    {
      name: "an unknown job",
      code: "NOT_FOUND",
      status: 404,
      gql: async () => {
        // Job.searchLogs has no unknown parent (job(id) is null); REST's route names the job.
        const res = await gqlJob(randomUUID(), {})();
        expect(res).toMatchObject({ errors: undefined, data: { job: null } });
        return { errors: [{ extensions: { code: "NOT_FOUND" } }] };
      },
      rest: () => rest.get(`/logs/${randomUUID()}/search`, { token: viewer, query: { q: "line" } }),
    },
    { name: "a malformed cursor (one job)", code: "BAD_USER_INPUT", status: 400, gql: gqlJob(jobId, { after: "not-a-cursor" }), rest: () => rest.get(`/logs/${jobId}/search`, { token: viewer, query: { q: "line", cursor: "not-a-cursor" } }) },
    { name: "a malformed cursor (all jobs)", code: "BAD_USER_INPUT", status: 400, gql: gqlAll({ after: "bm90LWpzb24" }), rest: () => rest.get("/logs/search", { token: viewer, query: { q: "line", cursor: "bm90LWpzb24" } }) },
    {
      name: "a filter with startedAfter after startedBefore",
      code: "BAD_USER_INPUT",
      status: 400,
      gql: gqlAll({ filter: { startedAfter: "2026-12-02T10:00:00.000Z", startedBefore: "2026-12-01T10:00:00.000Z" } }),
      rest: () => rest.get("/logs/search", { token: viewer, query: { q: "line", startedAfter: "2026-12-02T10:00:00.000Z", startedBefore: "2026-12-01T10:00:00.000Z" } }),
    },
  ];

  it("each case answers its code over GraphQL and REST, and no store changed", async () => {
    const before = await storedCounts(t);
    for (const c of cases()) {
      const gql = await c.gql();
      expect(gql.errors?.[0]?.extensions?.code, c.name).toBe(c.code);
      const res = await c.rest();
      expect(res.status, c.name).toBe(c.status);
      expectError(res, c.status, c.code);
    }
    expect(await storedCounts(t)).toEqual(before);
  });

  it("names the offending field", async () => {
    const short = await gqlAll({ query: { text: "ab" } })();
    expect((short.errors?.[0]?.extensions as any).problems).toEqual([{ path: "query.text", message: "must be at least 3 characters" }]);
    const range = await rest.get("/logs/search", { token: viewer, query: { q: "line", startedAfter: "2026-12-02T10:00:00Z", startedBefore: "2026-12-01T10:00:00Z" } });
    expect(range.body.error.problems).toEqual([{ path: "filter.startedAfter", message: "must not be after startedBefore" }]);
    const cursor = await gqlJob(jobId, { after: "not-a-cursor" })();
    expect((cursor.errors?.[0]?.extensions as any).problems).toEqual([{ path: "after", message: "malformed cursor" }]);
  });

  it("needs a token", async () => {
    const anonymous = await t.gql(SearchLogsDocument, { query: { text: "line" } });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expectError(await rest.get("/logs/search", { query: { q: "line" } }), 401, "UNAUTHENTICATED");
  });
});
