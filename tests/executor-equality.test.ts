// The compiled executor (GRAPHQL_EXECUTOR=jit) answers byte for byte what
// Apollo's own graphql-js execution answers: every operation of
// tests/operations/, with variables that succeed, that fail to coerce, that
// name unknown ids, that are forbidden, and that fail in nested fields, sent
// to two instances on the same stores, one per executor. Only reads succeed
// here, on data seeded once, and mutations fail: nothing either instance does
// changes what the other answers (no generated id or time in a compared body).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { getIntrospectionQuery, parse, print, separateOperations } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppendJobLogsDocument, SetJobStatusDocument } from "./generated/graphql";
import { createUserWithToken, createVm, sendCommand, TEST_PASSWORD } from "./support/factories";
import { daysAgo, putJobItem, putLogItem } from "./support/fixtures";
import { startPeerServer, startTestServer, type TestServer } from "./support/test-server";

const OPERATIONS_DIR = path.resolve(import.meta.dirname, "operations");
// One document of every file: fragments are shared across files.
const ALL_OPERATIONS = parse(
  readdirSync(OPERATIONS_DIR)
    .filter((file) => file.endsWith(".graphql"))
    .sort()
    .map((file) => readFileSync(path.join(OPERATIONS_DIR, file), "utf8"))
    .join("\n"),
);
/** Each operation with the fragments it uses, as a client sends it. */
const OPERATION_TEXT = Object.fromEntries(Object.entries(separateOperations(ALL_OPERATIONS)).map(([name, doc]) => [name, print(doc)]));

let jit: TestServer;
let graphqlJs: TestServer;
type Who = "dev" | "admin" | "viewer" | "none" | "bad-token";
const tokens: Record<Who, string | undefined> = { dev: undefined, admin: undefined, viewer: undefined, none: undefined, "bad-token": "not-a-token" };
const seed = {} as {
  devId: string;
  devEmail: string;
  viewerId: string;
  environment: string;
  vmId: string;
  emptyVmId: string;
  commandId: string;
  job1: string;
  job2: string;
  oldJob: string;
  since: string;
};

const UNKNOWN = "00000000-0000-4000-8000-000000000000";
/** Microsecond timestamps an hour ago, one second apart. */
const ts = (i: number, base: number) => new Date(base + i * 1000).toISOString().replace("Z", "000Z");

beforeAll(async () => {
  jit = await startTestServer({ GRAPHQL_EXECUTOR: "jit" });
  graphqlJs = await startPeerServer(jit, { GRAPHQL_EXECUTOR: "graphql-js" });
  const dev = await createUserWithToken(jit, "dev");
  const admin = await createUserWithToken(jit, "admin");
  const viewer = await createUserWithToken(jit, "viewer");
  Object.assign(tokens, { dev: dev.token, admin: admin.token, viewer: viewer.token });
  Object.assign(seed, { devId: dev.user.id, devEmail: dev.user.email, viewerId: viewer.user.id });

  seed.environment = `equality-${Date.now()}`;
  seed.vmId = (await createVm(jit, dev.token, { environment: seed.environment, tags: { team: "core", "owner name": "é \"q\"" } })).id;
  seed.emptyVmId = (await createVm(jit, dev.token, { environment: seed.environment })).id;
  const first = await sendCommand(jit, dev.token, seed.vmId, "uptime");
  const second = await sendCommand(jit, dev.token, seed.vmId, "df -h");
  Object.assign(seed, { commandId: first.command.id, job1: first.job.id, job2: second.job.id });

  const base = Date.now() - 3_600_000;
  seed.since = ts(10, base);
  const lines = Array.from({ length: 30 }, (_, i) => ({
    ts: ts(i, base),
    stream: i % 3 === 0 ? ("STDERR" as const) : ("STDOUT" as const),
    data: `line ${i} \u001b[31mERROR\u001b[0m "quoted" \\ é ✓ ${"x".repeat(i)}`,
  }));
  const appended = await jit.gql(AppendJobLogsDocument, { jobId: seed.job1, lines }, { token: dev.token });
  expect(appended.errors).toBeUndefined();
  await jit.gql(AppendJobLogsDocument, { jobId: seed.job2, lines: lines.slice(0, 3) }, { token: dev.token });
  const finished = await jit.gql(SetJobStatusDocument, { id: seed.job2, status: "SUCCESS" }, { token: dev.token });
  expect(finished.errors).toBeUndefined();

  // Past the cache horizon: read from DynamoDB only.
  seed.oldJob = await putJobItem(jit, { vmId: seed.vmId, startedAt: daysAgo(10), status: "failed", command: "old" });
  await putLogItem(jit, { jobId: seed.oldJob, ts: "2026-01-01T00:00:00.000001Z", data: "old line" });
  await jit.server.container.cache.writer.idle();
}, 120_000);

afterAll(async () => {
  await graphqlJs?.close();
  await jit?.close();
});

interface Case {
  label: string;
  who?: Who;
  variables?: () => Record<string, unknown>;
  /** Whether the answer must carry errors: a case that silently stopped failing (or succeeding) tests less. */
  errors: boolean;
}

const ok = (label: string, variables: Case["variables"], who: Who = "dev"): Case => ({ label, variables, who, errors: false });
const fails = (label: string, variables: Case["variables"], who: Who = "dev"): Case => ({ label, variables, who, errors: true });

// Every operation of tests/operations/ has cases here (checked below).
const CASES: Record<string, Case[]> = {
  Me: [ok("signed in", undefined), ok("anonymous: null", undefined, "none"), fails("bad token", undefined, "bad-token")],
  User: [
    ok("admin reads another", () => ({ id: seed.devId }), "admin"),
    fails("viewer reads another: FORBIDDEN", () => ({ id: seed.devId }), "viewer"),
    ok("unknown id", () => ({ id: UNKNOWN }), "admin"),
    fails("id missing", () => ({})),
  ],
  Users: [
    ok("admin, a page", () => ({ first: 2 }), "admin"),
    fails("viewer: FORBIDDEN", () => ({ first: 2 }), "viewer"),
    fails("first is not an Int", () => ({ first: "two" }), "admin"),
    fails("malformed cursor", () => ({ after: "garbage" }), "admin"),
  ],
  MyData: [fails("anonymous: UNAUTHENTICATED", undefined, "none")],
  Login: [
    fails("wrong password", () => ({ email: seed.devEmail, password: `${TEST_PASSWORD}!` }), "none"),
    fails("not an email", () => ({ email: "not-an-email", password: "x" }), "none"),
  ],
  CreateUser: [
    fails("dev: FORBIDDEN", () => ({ input: { email: "new@example.com", password: TEST_PASSWORD, role: "VIEWER" } })),
    fails("unknown role", () => ({ input: { email: "new@example.com", password: TEST_PASSWORD, role: "GOD" } }), "admin"),
    fails("email taken: CONFLICT", () => ({ input: { email: seed.devEmail, password: TEST_PASSWORD, role: "VIEWER" } }), "admin"),
    fails("unknown input field", () => ({ input: { email: "new@example.com", password: TEST_PASSWORD, role: "VIEWER", extra: 1 } }), "admin"),
  ],
  UpdateUser: [
    fails("unknown id", () => ({ id: UNKNOWN, input: { email: "x@example.com" } }), "admin"),
    fails("viewer promotes itself: FORBIDDEN", () => ({ id: seed.viewerId, input: { role: "ADMIN" } }), "viewer"),
  ],
  DeleteUser: [fails("dev: FORBIDDEN", () => ({ id: seed.devId }))],
  Vm: [ok("a VM with nested tags", () => ({ id: seed.vmId })), ok("unknown id", () => ({ id: UNKNOWN })), fails("anonymous", () => ({ id: seed.vmId }), "none")],
  Vms: [
    ok("an environment", () => ({ environment: seed.environment, first: 5 })),
    fails("malformed cursor", () => ({ environment: seed.environment, after: "garbage" })),
    fails("negative first", () => ({ environment: seed.environment, first: -1 })),
  ],
  CreateVm: [
    fails("viewer: FORBIDDEN", () => ({ input: { name: "x", environment: "e" } }), "viewer"),
    fails("tags not an object", () => ({ input: { name: "x", environment: "e", tags: "flat" } })),
    fails("name missing", () => ({ input: { environment: "e" } })),
  ],
  UpdateVm: [
    fails("unknown id", () => ({ id: UNKNOWN, input: { name: "y" } })),
    fails("viewer: FORBIDDEN", () => ({ id: seed.vmId, input: { name: "y" } }), "viewer"),
  ],
  DeleteVm: [fails("viewer: FORBIDDEN", () => ({ id: seed.vmId }), "viewer")],
  SendCommand: [
    fails("unknown VM", () => ({ input: { vmId: UNKNOWN, command: "ls" } })),
    fails("viewer: FORBIDDEN", () => ({ input: { vmId: seed.vmId, command: "ls" } }), "viewer"),
    fails("command missing", () => ({ input: { vmId: seed.vmId } })),
  ],
  SendCommandForJob: [fails("unknown VM", () => ({ input: { vmId: UNKNOWN, command: "ls" } }))],
  Command: [ok("a command with its jobs", () => ({ id: seed.commandId })), ok("unknown id", () => ({ id: UNKNOWN }))],
  Job: [
    ok("from the cache", () => ({ id: seed.job1 })),
    ok("STRONG, from DynamoDB", () => ({ id: seed.job2, consistency: "STRONG" })),
    ok("past the cache horizon", () => ({ id: seed.oldJob })),
    ok("unknown id", () => ({ id: UNKNOWN })),
    fails("unknown consistency", () => ({ id: seed.job1, consistency: "SOMETIMES" })),
  ],
  Jobs: [
    ok("a VM's jobs", () => ({ filter: { vmId: seed.vmId }, first: 10 })),
    ok("by status", () => ({ filter: { vmId: seed.vmId, status: "SUCCESS" } })),
    fails("malformed cursor", () => ({ filter: { vmId: seed.vmId }, after: "garbage" })),
    fails("startedAfter not a date", () => ({ filter: { startedAfter: "yesterday" } })),
    ok("startedAfter after startedBefore: none", () => ({ filter: { startedAfter: "2026-02-01T00:00:00Z", startedBefore: "2026-01-01T00:00:00Z" } })),
  ],
  SetJobStatus: [
    fails("already finished: CONFLICT", () => ({ id: seed.job2, status: "FAILED" })),
    fails("unknown id", () => ({ id: UNKNOWN, status: "SUCCESS" })),
    fails("unknown status", () => ({ id: seed.job1, status: "DONE" })),
    fails("viewer: FORBIDDEN", () => ({ id: seed.job1, status: "SUCCESS" }), "viewer"),
  ],
  AppendJobLogs: [
    fails("finished job's log is closed", () => ({ jobId: seed.job2, lines: [{ stream: "STDOUT", data: "late" }] })),
    fails("unknown job", () => ({ jobId: UNKNOWN, lines: [{ stream: "STDOUT", data: "x" }] })),
    fails("bad ts", () => ({ jobId: seed.job1, lines: [{ ts: "2026-11-26T09:41:10Z", stream: "STDOUT", data: "x" }] })),
    ok("no lines: a no-op", () => ({ jobId: seed.job1, lines: [] })),
    fails("a null line", () => ({ jobId: seed.job1, lines: [null] })),
  ],
  Logs: [
    ok("a page", () => ({ jobId: seed.job1, first: 10 })),
    ok("stderr since a ts", () => ({ jobId: seed.job1, stream: "STDERR", since: seed.since })),
    ok("past the cache horizon", () => ({ jobId: seed.oldJob })),
    fails("unknown job", () => ({ jobId: UNKNOWN })),
    fails("since not a LogTimestamp", () => ({ jobId: seed.job1, since: "2026-01-01" })),
    fails("first over the cap", () => ({ jobId: seed.job1, first: 100_000 })),
  ],
  JobLogs: [
    ok("a page and the next", () => ({ id: seed.job1, first: 5 })),
    ok("unknown job: null", () => ({ id: UNKNOWN, first: 5 })),
    fails("negative first: an error inside job", () => ({ id: seed.job1, first: -5 })),
  ],
  VmJobs: [ok("running jobs", () => ({ id: seed.vmId, status: "RUNNING" })), ok("all jobs", () => ({ id: seed.vmId, first: 1 }))],
  VmCommands: [ok("commands", () => ({ id: seed.vmId })), ok("empty VM", () => ({ id: seed.emptyVmId }))],
  VmsWithJobs: [ok("nested", () => ({ environment: seed.environment, jobsFirst: 5 })), fails("environment missing", () => ({}))],
  VmsWithCommands: [ok("nested", () => ({ environment: seed.environment }))],
  JobsWithLogs: [
    ok("every job with its lines", () => ({ filter: { vmId: seed.vmId }, logsFirst: 3 })),
    // Job.logs is non-null: each job's error nulls its node, the others stay.
    fails("partial: a nested error per job", () => ({ filter: { vmId: seed.vmId }, logsFirst: -1 })),
  ],
  VmCommandsWithJobLogs: [ok("three levels", () => ({ id: seed.vmId, logsFirst: 2 })), fails("partial", () => ({ id: seed.vmId, logsFirst: -1 }))],
  JobSearchLogs: [
    ok("plain text", () => ({ id: seed.job1, query: { text: "ERROR" }, first: 5 })),
    ok("regex on stderr", () => ({ id: seed.job1, query: { text: "line [0-9]+", regex: true, stream: "STDERR" } })),
    fails("text too short", () => ({ id: seed.job1, query: { text: "ab" } })),
    fails("a refused regex", () => ({ id: seed.job1, query: { text: "(a)\\1", regex: true } })),
  ],
  SearchLogs: [
    ok("a VM's jobs", () => ({ query: { text: "quoted" }, filter: { vmId: seed.vmId }, first: 3 })),
    fails("query missing", () => ({ filter: { vmId: seed.vmId } })),
  ],
};

/** Requests beyond tests/operations/: documents a client may send that exercise the executor's edges. */
const EXTRA: Array<{ label: string; who?: Who; body: () => Record<string, unknown>; errors: boolean }> = [
  { label: "introspection", body: () => ({ query: getIntrospectionQuery({ descriptions: true, specifiedByUrl: true }) }), errors: false },
  {
    label: "aliases, __typename, @include/@skip, an inline fragment, a literal argument",
    body: () => ({
      query: `query Mixed($id: ID!, $with: Boolean!) { __typename a: job(id: $id) { __typename id ... on Job { status } logs(first: 2) @include(if: $with) { edges { node { ts } } } vm @skip(if: $with) { id } } b: vm(id: "${UNKNOWN}") { id } }`,
      variables: { id: seed.job1, with: true },
    }),
    errors: false,
  },
  { label: "unknown operationName", body: () => ({ query: OPERATION_TEXT.Me, operationName: "Nope" }), errors: true },
  { label: "two operations, no operationName", body: () => ({ query: `${OPERATION_TEXT.Me}\n${OPERATION_TEXT.Vm}` }), errors: true },
  { label: "operationName picks one of two", body: () => ({ query: `${OPERATION_TEXT.Me}\n${OPERATION_TEXT.Vm}`, operationName: "Vm", variables: { id: seed.vmId } }), errors: false },
  { label: "variables not an object", body: () => ({ query: OPERATION_TEXT.Vm, variables: [1] }), errors: true },
];

async function post(server: TestServer, body: Record<string, unknown>, who: Who) {
  const token = tokens[who];
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, contentType: response.headers.get("content-type"), body: await response.text() };
}

/** The same request to both instances, graphql-js's first; their answers as sent. */
async function both(body: Record<string, unknown>, who: Who) {
  const reference = await post(graphqlJs, body, who);
  const compiled = await post(jit, body, who);
  return { reference, compiled };
}

describe("the compiled executor answers what graphql-js answers", () => {
  it("has cases for every operation of tests/operations/", () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(OPERATION_TEXT).sort());
  });

  for (const [operationName, cases] of Object.entries(CASES)) {
    for (const c of cases) {
      it(`${operationName}: ${c.label}`, async () => {
        const body = { query: OPERATION_TEXT[operationName], operationName, variables: c.variables?.() ?? {} };
        const { reference, compiled } = await both(body, c.who ?? "dev");
        expect(compiled.body).toBe(reference.body);
        expect(compiled.status).toBe(reference.status);
        expect(compiled.contentType).toBe(reference.contentType);
        expect("errors" in JSON.parse(reference.body), reference.body.slice(0, 500)).toBe(c.errors);
      });
    }
  }

  for (const extra of EXTRA) {
    it(`extra: ${extra.label}`, async () => {
      const { reference, compiled } = await both(extra.body(), extra.who ?? "dev");
      expect(compiled.body).toBe(reference.body);
      expect(compiled.status).toBe(reference.status);
      expect("errors" in JSON.parse(reference.body), reference.body.slice(0, 500)).toBe(extra.errors);
    });
  }

  // Without this the comparisons above could be graphql-js against itself.
  it("the jit instance compiled what it answered, and counted what fell back; the other compiled nothing", async () => {
    const metrics = async (server: TestServer) => (await (await fetch(`${server.url}/metrics`)).text()).split("\n").filter((l) => l.startsWith("graphql_executions_total{"));
    const counted = (lines: string[], executor: string, route: string) =>
      Number(lines.find((l) => l.includes(`executor="${executor}"`) && l.includes(`route="${route}"`))?.split(" ").pop() ?? 0);
    const jitLines = await metrics(jit);
    expect(counted(jitLines, "jit", "compiled")).toBeGreaterThan(30);
    expect(counted(jitLines, "graphql-js", "mutation")).toBeGreaterThan(10);
    // Variables that do not coerce never reach it: the cost check before execution refuses them (graphql-query-complexity coerces them).
    expect(counted(jitLines, "graphql-js", "no-operation")).toBeGreaterThan(0);
    expect(await metrics(graphqlJs)).toEqual([]);
  });
});
