// PostgreSQL unreachable: /readyz says "degraded" (200, DynamoDB still serves
// jobs and logs) and /metrics keeps answering.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/env";
import { createLogger } from "../src/infra/logger";
import { findFreePort } from "../src/infra/net";
import { createPrisma } from "../src/infra/postgres/prisma";
import { startServer, type RunningServer } from "../src/server";
import { createTestStores, type TestStores } from "./support/stores";

let stores: TestStores;
let server: RunningServer;
let deadPrisma: ReturnType<typeof createPrisma>;

beforeAll(async () => {
  stores = await createTestStores();
  deadPrisma = createPrisma(`postgresql://postgres@127.0.0.1:${await findFreePort()}/postgres`);
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    DYNAMODB_TABLE_PREFIX: stores.tablePrefix,
    JWT_SECRET: "test-secret-test-secret-test-secret!",
  });
  server = await startServer(config, createLogger("silent"), { ...stores.stores, prisma: deadPrisma });
});
afterAll(async () => {
  await server?.stop();
  await deadPrisma?.$disconnect();
  await stores?.close();
});

describe("PostgreSQL down", () => {
  it("/readyz reports degraded, not unavailable", async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "degraded", stores: { postgres: "down", dynamodb: "up" } });
  });

  it("/metrics still answers", async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('http_requests_total{method="GET",route="/readyz",status="200"} 1');
  });
});
