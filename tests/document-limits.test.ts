// Hostile GraphQL documents (issue 15, items 1 and 2): every limit refuses with
// HTTP 400 and a code naming it, before execution and before any store call,
// token or not; batches are refused whole.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Kind, parse, validate } from "graphql";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/env";
import { documentCost, documentValidationRules } from "../src/graphql/document-limits";
import { buildGraphQLSchema } from "../src/graphql/schema";
import { StoreCallCounter } from "../src/infra/store-calls";
import { storedCounts } from "./support/counts";
import { createUserWithToken } from "./support/factories";
import { startTestServer, type TestServer } from "./support/test-server";

const LIMITS = loadConfig({}).documentLimits;
let t: TestServer;
let dev: string;
let calls: StoreCallCounter;

beforeAll(async () => {
  t = await startTestServer();
  dev = (await createUserWithToken(t, "dev")).token;
  calls = new StoreCallCounter({ dynamo: t.stores.dynamo.raw, prisma: t.stores.prisma });
});
afterAll(async () => {
  calls?.detach();
  await t?.close();
});
beforeEach(() => calls.reset());

async function post(body: unknown, token = dev) {
  await t.server.container.cache.writer.idle();
  calls.reset();
  const res = await fetch(`${t.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  return { status: res.status, data: json.data, errors: json.errors ?? [], storeCalls: calls.calls.length };
}

const nest = (depth: number, root = 'vm(id: "vm-1")', kind = "query Deep") => {
  // vm { commands { edges { node { jobs { edges { node { command { jobs … (depth fields deep)
  let selection = "id";
  const pairs = ["vm", "commands", "edges", "node", "jobs", "edges", "node", "command", "jobs", "edges", "node", "command"];
  for (let i = depth - 2; i >= 0; i--) {
    const field = pairs[i % pairs.length]!;
    selection = `${field === "vm" ? root : field} { ${selection} }`;
  }
  return `${kind} { ${selection} }`;
};

const createVm = (alias: string) => `${alias}: createVm(input: { name: "${alias}", environment: "e" }) { id }`;

describe("each limit refuses before any store call, with a code and a message naming it", () => {
  it("depth", async () => {
    const before = await storedCounts(t);
    const deep = await post({ query: nest(LIMITS.maxDepth + 2) });
    expect(deep).toMatchObject({ status: 400, storeCalls: 0 });
    expect(deep.errors[0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(deep.errors[0]!.message).toContain(`depth limit of ${LIMITS.maxDepth}`);
    const deepMutation = await post({ query: nest(LIMITS.maxDepth + 2, 'createVm(input: { name: "d", environment: "e" })', "mutation") });
    expect(deepMutation).toMatchObject({ status: 400, storeCalls: 0 });
    expect(deepMutation.errors[0]!.message).toContain("depth limit");
    expect(await storedCounts(t)).toEqual(before);
  });

  it("aliases", async () => {
    const before = await storedCounts(t);
    const vmsBefore = (await t.gql("{ vms(first: 100) { edges { node { id } } } }", undefined, { token: dev })).data;
    const aliases = Array.from({ length: LIMITS.maxAliases + 1 }, (_, i) => createVm(`a${i}`)).join(" ");
    const refused = await post({ query: `mutation { ${aliases} }` });
    expect(refused).toMatchObject({ status: 400, storeCalls: 0 });
    expect(refused.errors[0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(refused.errors[0]!.message).toContain(`Aliases limit of ${LIMITS.maxAliases}`);
    expect(await storedCounts(t)).toEqual(before);
    expect((await t.gql("{ vms(first: 100) { edges { node { id } } } }", undefined, { token: dev })).data).toEqual(vmsBefore);
  });

  it("directives", async () => {
    const directives = Array.from({ length: LIMITS.maxDirectives + 1 }, () => "@include(if: true)").join(" ");
    const refused = await post({ query: `{ me { id ${directives} } }` });
    expect(refused).toMatchObject({ status: 400, storeCalls: 0 });
    expect(refused.errors[0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(refused.errors[0]!.message).toContain(`Directives limit of ${LIMITS.maxDirectives}`);
  });

  it("tokens: parsing stops at the limit", async () => {
    const fields = Array.from({ length: LIMITS.maxTokens }, () => "id").join(" ");
    const refused = await post({ query: `{ me { ${fields} } }` });
    expect(refused).toMatchObject({ status: 400, storeCalls: 0 });
    expect(refused.errors[0]!.extensions!.code).toBe("GRAPHQL_PARSE_FAILED");
    expect(refused.errors[0]!.message).toMatch(new RegExp(`more tha[nt] ${LIMITS.maxTokens} tokens`));
  });

  it("cost: a list field weighs its selection by `first`, literal or variable, and by its default when absent", async () => {
    const nested = "jobs(first: $jobs) { edges { node { id logs(first: $lines) { edges { node { ts data } } } } } }";
    const query = `query Nested($jobs: Int, $lines: Int) { ${nested} }`;
    const ok = await post({ query, variables: { jobs: 10, lines: 20 } });
    expect(ok.status).toBe(200);
    expect(ok.errors).toEqual([]);
    const refused = await post({ query, variables: { jobs: 100, lines: 1000 } });
    expect(refused).toMatchObject({ status: 400, storeCalls: 0 });
    expect(refused.errors[0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(refused.errors[0]!.message).toContain(`cost limit of ${LIMITS.maxCost} exceeded`);
    // Costs are kept per document and variables: the same text again is judged by its own variables each time.
    for (let i = 0; i < 2; i++) {
      expect((await post({ query, variables: { jobs: 10, lines: 20 } })).errors).toEqual([]);
      expect(await post({ query, variables: { jobs: 100, lines: 1000 } })).toMatchObject({ status: 400, storeCalls: 0 });
    }
    // Absent `first`: jobs' default 50 × logs' default 500.
    const defaults = await post({ query: "{ jobs { edges { node { logs { edges { node { ts } } } } } } }" });
    expect(defaults).toMatchObject({ status: 400, storeCalls: 0 });
    expect(defaults.errors[0]!.message).toContain("cost limit");
  });

  it("cost: a kept cost follows the variables a cost reads (first, @include, @skip) and no others", async () => {
    const query = `query Toggle($vm: ID, $deep: Boolean!, $shallow: Boolean = true) {
      jobs(first: 100, filter: { vmId: $vm }) { edges { node { id logs(first: 1000) @include(if: $deep) @skip(if: $shallow) { edges { node { ts } } } } } }
    }`;
    // Ids change from request to request and share one kept cost; the conditions do not.
    for (const vm of ["vm-a", "vm-b", "vm-c"]) {
      expect((await post({ query, variables: { vm, deep: false, shallow: false } })).errors).toEqual([]);
      expect((await post({ query, variables: { vm, deep: true } })).errors).toEqual([]);
      const refused = await post({ query, variables: { vm, deep: true, shallow: false } });
      expect(refused).toMatchObject({ status: 400, storeCalls: 0 });
      expect(refused.errors[0]!.message).toContain("cost limit");
    }
    // A nullable variable with a default, in a non-null position: null is refused however often the same text passed.
    const byId = `query ById($id: ID = "none") { job(id: $id) { id } }`;
    expect((await post({ query: byId, variables: { id: "j-1" } })).status).toBe(200);
    const nulled = await post({ query: byId, variables: { id: null } });
    expect(nulled).toMatchObject({ status: 400, storeCalls: 0 });
    expect(nulled.errors[0]!.extensions!.code).toBe("BAD_USER_INPUT");
    expect(nulled.errors[0]!.message).toContain('of non-null type "ID!" must not be null');
  });

  it("a mutation over the cost stores nothing", async () => {
    const before = await storedCounts(t);
    const refused = await post({
      query: `mutation { createVm(input: { name: "costly", environment: "e" }) { id commands(first: 100) { edges { node { jobs(first: 100) { edges { node { logs(first: 1000) { edges { node { ts } } } } } } } } } } }`,
    });
    expect(refused).toMatchObject({ status: 400, storeCalls: 0 });
    expect(await storedCounts(t)).toEqual(before);
  });

  it("cyclic fragments stay refused", async () => {
    const refused = await post({ query: "query { me { ...A } } fragment A on User { id ...B } fragment B on User { email ...A }" });
    expect(refused).toMatchObject({ status: 400, storeCalls: 0 });
    expect(refused.errors[0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(refused.errors.map((e) => e.message).join("\n")).toMatch(/Cannot spread fragment "A" within itself/);
  });

  it("a bad token is still UNAUTHENTICATED once the document passes", async () => {
    const res = await post({ query: "{ me { id } }" }, "not-a-token");
    expect(res.status).toBe(401);
    expect(res.errors[0]!.extensions!.code).toBe("UNAUTHENTICATED");
  });
});

describe("batched HTTP requests", () => {
  it("are refused whole, nothing run or stored", async () => {
    const before = await storedCounts(t);
    const batch = Array.from({ length: 3 }, (_, i) => ({ query: `mutation { ${createVm(`b${i}`)} }` }));
    const refused = await post(batch);
    expect(refused).toMatchObject({ status: 400, storeCalls: 0 });
    expect(refused.errors[0]!.extensions!.code).toBe("BAD_REQUEST");
    expect(await storedCounts(t)).toEqual(before);
  });
});

describe("the defaults let every operation of tests/operations/ through", () => {
  const dir = path.resolve(import.meta.dirname, "operations");
  const text = readdirSync(dir)
    .map((file) => readFileSync(path.join(dir, file), "utf8"))
    .join("\n");

  it("parses within the token limit and passes depth, aliases and directives", async () => {
    const schema = await buildGraphQLSchema();
    for (const file of readdirSync(dir)) {
      const own = parse(readFileSync(path.join(dir, file), "utf8"), { maxTokens: LIMITS.maxTokens * 10 });
      for (const operation of own.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
        const alone = parse(text, { maxTokens: LIMITS.maxTokens * 10 });
        const name = operation.name!.value;
        const doc = { ...alone, definitions: alone.definitions.filter((d) => d.kind !== Kind.OPERATION_DEFINITION || d.name?.value === name) };
        expect(validate(schema, doc, documentValidationRules(LIMITS)).map((e) => e.message), name).toEqual([]);
      }
    }
  });

  it("costs within the limit at the page sizes the suite asks for", async () => {
    const schema = await buildGraphQLSchema();
    const doc = parse(text, { maxTokens: LIMITS.maxTokens * 10 });
    const cost = (operationName: string, variables: Record<string, unknown>) => documentCost(schema, doc, variables, operationName);
    expect(cost("Jobs", {})).toBeLessThanOrEqual(LIMITS.maxCost);
    expect(cost("Logs", { jobId: "j", first: 1000 })).toBeLessThanOrEqual(LIMITS.maxCost);
    expect(cost("VmsWithJobs", { environment: "e", first: 50, jobsFirst: 10 })).toBeLessThanOrEqual(LIMITS.maxCost);
    expect(cost("JobsWithLogs", { first: 10, logsFirst: 20 })).toBeLessThanOrEqual(LIMITS.maxCost);
    expect(cost("VmCommandsWithJobLogs", { id: "v", first: 10, logsFirst: 2 })).toBeLessThanOrEqual(LIMITS.maxCost);
    expect(cost("MyData", {})).toBeLessThanOrEqual(LIMITS.maxCost);
    expect(cost("Users", {})).toBeLessThanOrEqual(LIMITS.maxCost);
  });

  it("a kept cost is the walk's: each operation, variables in turn, against a document nothing was kept for", async () => {
    const schema = await buildGraphQLSchema();
    const doc = parse(text, { maxTokens: LIMITS.maxTokens * 10 });
    const cases: Array<[string, Record<string, unknown>]> = [
      ["Jobs", {}],
      ["Logs", { jobId: "j", first: 1000 }],
      ["Logs", { jobId: "k", first: 10 }],
      ["Logs", { jobId: "j" }],
      ["VmsWithJobs", { environment: "e", first: 50, jobsFirst: 10 }],
      ["VmsWithJobs", { environment: "f", first: 5, jobsFirst: 10 }],
      ["JobsWithLogs", { first: 10, logsFirst: 20 }],
      ["JobsWithLogs", { first: 10, logsFirst: null }],
      ["VmCommandsWithJobLogs", { id: "v", first: 10, logsFirst: 2 }],
    ];
    for (const round of [1, 2]) {
      for (const [operationName, variables] of cases) {
        const fresh = parse(text, { maxTokens: LIMITS.maxTokens * 10 });
        expect(documentCost(schema, doc, variables, operationName), `${operationName} ${JSON.stringify(variables)}, round ${round}`).toBe(
          documentCost(schema, fresh, variables, operationName),
        );
      }
    }
  });
});
