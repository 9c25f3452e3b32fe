// GET /metrics: Prometheus text with process, HTTP, store-call and cache
// metrics, from a registry of this app's own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreCallCounter } from "../src/infra/store-calls";
import { CreateVmDocument, VmDocument } from "./generated/graphql";
import { buildVmInput, createUserWithToken } from "./support/factories";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let dev: string;

beforeAll(async () => {
  t = await startTestServer();
  dev = (await createUserWithToken(t, "dev")).token;
});
afterAll(() => t?.close());

async function scrape(server: TestServer = t): Promise<string> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return res.text();
}

/** The value of one sample, e.g. value(text, 'store_calls_total{store="dynamodb",operation="PutItem",outcome="ok"}'). */
function value(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("GET /metrics", () => {
  it("serves process metrics and declares the cache metrics", async () => {
    const text = await scrape();
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    for (const name of [
      "cache_hits_total",
      "cache_misses_total",
      "cache_backfill_rows_total",
      "cache_pending_writes",
      "cache_write_failures_total",
      "cache_purge_rows_total",
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it("counts HTTP requests by route pattern and status, and 404s as one series", async () => {
    const before = await scrape();
    await t.gql(VmDocument, { id: "no-such-vm" }, { token: dev });
    await fetch(`${t.url}/healthz`);
    await fetch(`${t.url}/no/such/route/${Math.random()}`);
    const after = await scrape();
    const graphql = 'http_requests_total{method="POST",route="/graphql",status="200"}';
    const healthz = 'http_requests_total{method="GET",route="/healthz",status="200"}';
    const missing = 'http_requests_total{method="GET",route="unmatched",status="404"}';
    expect(value(after, graphql) - value(before, graphql)).toBe(1);
    expect(value(after, healthz) - value(before, healthz)).toBe(1);
    expect(value(after, missing) - value(before, missing)).toBe(1);
    expect(after).not.toContain("/no/such/route");
    expect(after).toContain('http_request_duration_seconds_bucket{le="0.005",method="POST",route="/graphql",status="200"}');
  });

  it("counts the real store calls a request makes, by store and operation", async () => {
    const put = 'store_calls_total{store="dynamodb",operation="PutItem",outcome="ok"}';
    const select = 'store_calls_total{store="postgres",operation="SELECT",outcome="ok"}';
    const before = await scrape();
    const calls = new StoreCallCounter({ dynamo: t.stores.dynamo.raw });
    const created = await t.gql(CreateVmDocument, { input: buildVmInput() }, { token: dev });
    expect(created.errors).toBeUndefined();
    const after = await scrape();
    expect(value(after, put) - value(before, put)).toBe(1);
    expect(calls.count("dynamodb", "PutItem", new RegExp(`^${t.stores.tables.vms}$`))).toBe(1);
    calls.detach();
    // The token's user is looked up in Postgres once per request.
    expect(value(after, select) - value(before, select)).toBe(1);
    expect(after).toContain('store_call_duration_seconds_count{store="dynamodb",operation="PutItem"}');
  });
});

describe("one registry per app", () => {
  it("keeps a second server's counts apart from the first's", async () => {
    const other = await startTestServer();
    try {
      const series = 'http_requests_total{method="GET",route="/healthz",status="200"}';
      const firstBefore = value(await scrape(t), series);
      await fetch(`${other.url}/healthz`);
      await fetch(`${other.url}/healthz`);
      expect(value(await scrape(other), series)).toBe(2);
      expect(value(await scrape(t), series)).toBe(firstBefore);
    } finally {
      await other.close();
    }
  });
});
