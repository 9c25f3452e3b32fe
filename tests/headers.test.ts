// Headers and origins (issue 15, items 6 and 7): security headers on the
// playground page (a CSP allowing only its own assets) and on API answers,
// CORS off by default and an allow-list with CORS_ORIGINS, and METRICS_TOKEN.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPeerServer, startTestServer, type TestServer } from "./support/test-server";

const APP = "https://app.example.com";
const METRICS_TOKEN = "metrics-token-0123456789";
let plain: TestServer;
let configured: TestServer;

beforeAll(async () => {
  plain = await startTestServer();
  configured = await startPeerServer(plain, { CORS_ORIGINS: `${APP}, http://localhost:5173`, METRICS_TOKEN });
});
afterAll(async () => {
  await configured?.close();
  await plain?.close();
});

const csp = (res: Response) =>
  Object.fromEntries(
    (res.headers.get("content-security-policy") ?? "")
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!, values]),
  );

describe("security headers", () => {
  it("the playground page: a CSP allowing only this server's assets and its own inline boot scripts", async () => {
    const res = await fetch(`${plain.url}/graphql`, { headers: { accept: "text/html" } });
    expect(res.headers.get("content-type")).toContain("text/html");
    const policy = csp(res);
    expect(policy["default-src"]).toEqual(["'none'"]);
    expect(policy["script-src"]![0]).toBe("'self'");
    expect(policy["script-src"]!.slice(1).every((source) => /^'sha256-[A-Za-z0-9+/=]+'$/.test(source))).toBe(true);
    expect(policy["script-src"]).not.toContain("'unsafe-inline'");
    expect(policy["connect-src"]).toEqual(["'self'"]);
    expect(policy["frame-ancestors"]).toEqual(["'none'"]);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("API answers: nothing may load, nobody may frame them", async () => {
    const res = await plain.gql("{ me { id } }").then(() => fetch(`${plain.url}/api/vms`));
    expect(csp(res)).toMatchObject({ "default-src": ["'none'"], "frame-ancestors": ["'none'"] });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-powered-by")).toBeNull();
  });

  it("GraphQL answers carry no ETag (nothing hashes them); REST answers keep Express's", async () => {
    const graphql = await fetch(`${plain.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(await graphql.json()).toEqual({ data: { __typename: "Query" } });
    expect(graphql.headers.get("etag")).toBeNull();
    expect(csp(graphql)).toMatchObject({ "default-src": ["'none'"] });
    const rest = await fetch(`${plain.url}/api/vms`);
    expect(rest.status).toBe(401);
    expect(rest.headers.get("etag")).toMatch(/^W\/"/);
  });
});

describe("CORS", () => {
  const preflight = (server: TestServer, origin: string) =>
    fetch(`${server.url}/graphql`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
    });

  it("is off by default: no origin is allowed", async () => {
    const res = await preflight(plain, APP);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const post = await fetch(`${plain.url}/graphql`, {
      method: "POST",
      headers: { origin: APP, "content-type": "application/json" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(post.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows exactly the CORS_ORIGINS, with the Authorization header", async () => {
    const res = await preflight(configured, APP);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
    const rest = await fetch(`${configured.url}/api/vms`, { headers: { origin: "http://localhost:5173" } });
    expect(rest.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    const other = await preflight(configured, "https://evil.example.com");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a GraphQL POST (served without Express) gets the same CORS and security headers as a REST answer", async () => {
    const post = (origin: string) =>
      fetch(`${configured.url}/graphql`, {
        method: "POST",
        headers: { origin, "content-type": "application/json" },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
    const allowed = await post(APP);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(APP);
    expect(allowed.headers.get("access-control-expose-headers")).toContain("x-request-id");
    expect(csp(allowed)).toMatchObject({ "default-src": ["'none'"], "frame-ancestors": ["'none'"] });
    expect(allowed.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await post("https://evil.example.com")).headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("METRICS_TOKEN", () => {
  it("unset: /metrics is open", async () => {
    expect((await fetch(`${plain.url}/metrics`)).status).toBe(200);
  });

  it("set: /metrics needs the bearer token", async () => {
    const none = await fetch(`${configured.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("UNAUTHENTICATED");
    expect((await fetch(`${configured.url}/metrics`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
    const ok = await fetch(`${configured.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("http_requests_total");
    // Health stays open for probes.
    expect((await fetch(`${configured.url}/healthz`)).status).toBe(200);
  });
});
