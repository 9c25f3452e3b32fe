import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoleTokens } from "./support/factories";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t?.close());

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${t.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

describe("HTTP surface", () => {
  it("malformed GraphQL → 400 GRAPHQL_PARSE_FAILED", async () => {
    const res = await post(JSON.stringify({ query: "{ vms { " }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe("GRAPHQL_PARSE_FAILED");
  });

  it("an invalid query → 400 GRAPHQL_VALIDATION_FAILED", async () => {
    const res = await post(JSON.stringify({ query: "{ vms { noSuchField } }" }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("malformed JSON → 400", async () => {
    const res = await post("{ not json");
    expect(res.status).toBe(400);
  });

  it("a forged token → UNAUTHENTICATED", async () => {
    const res = await post(JSON.stringify({ query: "{ vms { edges { cursor } } }" }), { authorization: "Bearer not.a.token" });
    const body = (await res.json()) as any;
    expect(body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  it("an unknown route → 404 JSON", async () => {
    const res = await fetch(`${t.url}/no/such/route`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "NOT_FOUND", message: "no route for GET /no/such/route" } });
  });

  it("/healthz answers", async () => {
    const res = await fetch(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("/readyz names each store's state", async () => {
    const res = await fetch(`${t.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready", stores: { postgres: "up", dynamodb: "up" } });
  });

  it("serves the playground to a browser, with its assets", async () => {
    const res = await fetch(`${t.url}/graphql`, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("ruru");
    const asset = /href="(\/graphql\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const css = await fetch(`${t.url}${asset}`);
    expect(css.status).toBe(200);
  });
});

// POST /graphql is served without Express (src/graphql/http.ts); other ways
// in (GET, a trailing slash) go through Express's mount of the same route.
describe("POST /graphql, served without Express", () => {
  const vmCount = async () => {
    const res = await post(JSON.stringify({ query: "{ vms(first: 100) { edges { cursor } } }" }), { authorization: `Bearer ${admin}` });
    return ((await res.json()) as any).data.vms.edges.length as number;
  };
  // A mutation that would store a VM, were its body read.
  const createVm = (name: string, padding = "") =>
    JSON.stringify({
      query: "mutation ($input: CreateVmInput!) { createVm(input: $input) { id } }",
      variables: { input: { name, environment: "staging", tags: { padding } } },
    });
  let admin: string;
  beforeAll(async () => {
    ({ admin } = await createRoleTokens(t));
  });

  it("a body that is not JSON: 400 BAD_USER_INPUT as a GraphQL error, nothing stored", async () => {
    const before = await vmCount();
    const res = await post(createVm("half-sent").slice(0, 40), { authorization: `Bearer ${admin}` });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ errors: [{ message: "malformed JSON body", extensions: { code: "BAD_USER_INPUT" } }] });
    expect(await vmCount()).toBe(before);
  });

  it("a body over 2 MB: 413 PAYLOAD_TOO_LARGE, nothing stored", async () => {
    const before = await vmCount();
    const res = await post(createVm("too-large", "x".repeat(2.1 * 1024 * 1024)), { authorization: `Bearer ${admin}` });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await vmCount()).toBe(before);
  });

  it("a charset JSON cannot be in: 415 BAD_USER_INPUT, nothing stored", async () => {
    const before = await vmCount();
    const res = await post(createVm("latin"), { authorization: `Bearer ${admin}`, "content-type": "application/json; charset=latin1" });
    expect(res.status).toBe(415);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(await vmCount()).toBe(before);
  });

  it("answers byte for byte as Express's mount of the route does (GET, a trailing slash)", async () => {
    const query = "query Who { me { id role } vms(first: 2) { edges { node { id } } } }";
    const headers = { authorization: `Bearer ${admin}` };
    const direct = await post(JSON.stringify({ query }), headers);
    const slash = await fetch(`${t.url}/graphql/`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query }) });
    const get = await fetch(`${t.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { ...headers, "apollo-require-preflight": "1" } });
    const withSearch = await fetch(`${t.url}/graphql?trace=1`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query }) });
    const body = await direct.text();
    expect(JSON.parse(body).data.me.role).toBe("ADMIN");
    for (const other of [slash, get, withSearch]) {
      expect(other.status).toBe(200);
      expect(await other.text()).toBe(body);
    }
    expect((await fetch(`${t.url}/graphql/`, { method: "POST", headers: { "content-type": "application/json" }, body: "{ not json" })).status).toBe(400);
  });

  it("the same mutation, sent whole, is stored (the refusals above are the body's)", async () => {
    const before = await vmCount();
    const res = await post(createVm("sent-whole"), { authorization: `Bearer ${admin}` });
    expect(((await res.json()) as any).data.createVm.id).toBeTruthy();
    expect(await vmCount()).toBe(before + 1);
  });

  it("an answer beyond ASCII: its Content-Length counts UTF-8 bytes, and it reads back whole", async () => {
    const label = "é漢🙂".repeat(50); // 200 UTF-16 units (a tag value takes 256), 450 UTF-8 bytes
    const res = await fetch(`${t.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
      body: JSON.stringify({
        query: "mutation ($input: CreateVmInput!) { createVm(input: $input) { tags } }",
        variables: { input: { name: "utf8-answer", environment: "staging", tags: { label } } },
      }),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get("content-length"))).toBe(bytes.length);
    expect(bytes.length).toBeGreaterThan(bytes.toString("utf8").length);
    expect(JSON.parse(bytes.toString("utf8")).data.createVm.tags).toEqual({ label });
  });

  it("echoes the caller's request id, or gives one", async () => {
    const given = await post(JSON.stringify({ query: "{ __typename }" }), { "x-request-id": "trace-7" });
    expect(given.headers.get("x-request-id")).toBe("trace-7");
    const made = await post(JSON.stringify({ query: "{ __typename }" }));
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("production mode", () => {
  let prod: TestServer;
  beforeAll(async () => {
    prod = await startTestServer({ NODE_ENV: "production" });
  });
  afterAll(() => prod?.close());

  it("turns off introspection and the playground", async () => {
    const page = await fetch(`${prod.url}/graphql`, { headers: { accept: "text/html" } });
    expect(await page.text()).not.toContain("ruru");
    const res = await prod.gql("{ __schema { queryType { name } } }");
    expect(res.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});
