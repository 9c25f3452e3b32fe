// Starts the store the whole run shares: unless DATABASE_URL names one, an
// embedded PostgreSQL (each test file creates its own database in it).
// DynamoDB Local is per file (tests/support/dynamo-local.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/infra/postgres/embedded";

declare module "vitest" {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const stops: Array<() => Promise<void>> = [];
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = await mkdtemp(path.join(tmpdir(), "vmo-test-pg-"));
    const pg = await startEmbeddedPostgres(dir);
    stops.push(async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    });
    adminUrl = pg.url;
  }
  project.provide("postgresAdminUrl", adminUrl);

  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
