// The parts under every request: migrations as `prisma migrate deploy` records
// them, and /readyz when the authoritative store is unreachable.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/env";
import { createDynamo } from "../src/infra/dynamodb/client";
import { createLogger } from "../src/infra/logger";
import { findFreePort } from "../src/infra/net";
import { migrate, MIGRATIONS_DIR, readMigrations } from "../src/infra/postgres/migrate";
import { startServer, type RunningServer } from "../src/server";
import { createTestDatabase, createTestStores, type TestStores } from "./support/stores";

describe("migrations", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;

  beforeAll(async () => {
    // createTestDatabase has migrated once already.
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it("records each migration as Prisma does: sha256 of the file, finished, one step", async () => {
    const files = await readMigrations();
    const { rows } = await client.query(
      `SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const row of rows) {
      const sql = await readFile(path.join(MIGRATIONS_DIR, row.migration_name, "migration.sql"));
      expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("is safe to run again, and from several processes at once", async () => {
    const results = await Promise.all([migrate(database.url), migrate(database.url), migrate(database.url)]);
    for (const result of results) expect(result.applied).toEqual([]);
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
    expect(rows[0].n).toBe((await readMigrations()).length);
  });

  it("creates the seed's tables with their checks and cascade", async () => {
    const { rows } = await client.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(rows.map((r) => r.table_name)).toEqual(["_prisma_migrations", "job_logs", "jobs", "users"]);
    await expect(
      client.query(`INSERT INTO users (email, password_hash, role) VALUES ('x@example.com', 'h', 'root')`),
    ).rejects.toThrow(/check constraint/);
    await client.query(`INSERT INTO jobs (id, vm_id, command, status) VALUES ('00000000-0000-4000-8000-000000000001', 'vm', 'ls', 'running')`);
    await client.query(`INSERT INTO job_logs (job_id, ts, stream, data) VALUES ('00000000-0000-4000-8000-000000000001', now(), 'stdout', 'x')`);
    await client.query(`DELETE FROM jobs WHERE id = '00000000-0000-4000-8000-000000000001'`);
    const left = await client.query(`SELECT count(*)::int AS n FROM job_logs`);
    expect(left.rows[0].n).toBe(0);
  });
});

describe("DynamoDB unreachable", () => {
  let stores: TestStores;
  let server: RunningServer;
  let deadDynamo: ReturnType<typeof createDynamo>;

  beforeAll(async () => {
    stores = await createTestStores();
    deadDynamo = createDynamo({ endpoint: `http://127.0.0.1:${await findFreePort()}` });
    const config = loadConfig({
      NODE_ENV: "test",
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      CACHE_STREAM: "off",
      DYNAMODB_TABLE_PREFIX: stores.tablePrefix,
      JWT_SECRET: "test-secret-test-secret-test-secret!",
    });
    server = await startServer(config, createLogger("silent"), { ...stores.stores, dynamo: deadDynamo });
  });
  afterAll(async () => {
    await server?.stop();
    deadDynamo?.raw.destroy();
    await stores?.close();
  });

  it("/readyz answers 503 and names the store that is down", async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "unavailable", stores: { postgres: "up", dynamodb: "down" } });
  });
});
