import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
