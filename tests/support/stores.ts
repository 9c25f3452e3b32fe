// Per-file isolation: a fresh PostgreSQL database (migrated) and a fresh
// DynamoDB table prefix (tables created, in the file's own DynamoDB Local) for each test file.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { createDynamo } from "../../src/infra/dynamodb/client";
import { ensureTables, tableNames } from "../../src/infra/dynamodb/tables";
import { migrate } from "../../src/infra/postgres/migrate";
import { JobCacheRepository } from "../../src/cache/job-cache.repository";
import { createPrisma, type PrismaClient } from "../../src/infra/postgres/prisma";
import type { Stores } from "../../src/container";
import { fileDynamoEndpoint } from "./dynamo-local";

export interface TestStores {
  stores: Stores;
  databaseUrl: string;
  dynamoEndpoint: string;
  tablePrefix: string;
  close(): Promise<void>;
}

function databaseUrlFor(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject("postgresAdminUrl");
  const database = `vmo_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = databaseUrlFor(adminUrl, database);
  await migrate(url);
  return {
    url,
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * A fresh migrated database with the cache repository over it, for the file
 * that calls this (its beforeAll/afterAll): tests of the cache's writers alone.
 */
export function useTestCache(): { readonly cache: JobCacheRepository } {
  let database: { url: string; drop(): Promise<void> } | undefined;
  let prisma: PrismaClient | undefined;
  let cache: JobCacheRepository | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    prisma = createPrisma(database.url);
    cache = new JobCacheRepository(prisma);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.drop();
  });
  return {
    get cache() {
      if (!cache) throw new Error("useTestCache: the cache exists from beforeAll on");
      return cache;
    },
  };
}

export interface TestStoreOptions {
  /** The URL the stores' Prisma client connects to, e.g. through a proxy (the database is migrated directly). */
  prismaUrl?: (databaseUrl: string) => string;
}

export async function createTestStores(options: TestStoreOptions = {}): Promise<TestStores> {
  const database = await createTestDatabase();
  const dynamoEndpoint = await fileDynamoEndpoint();
  const tablePrefix = `t${randomBytes(5).toString("hex")}_`;
  const dynamo = createDynamo({ endpoint: dynamoEndpoint });
  await ensureTables(dynamo.raw, tablePrefix);
  const prismaUrl = options.prismaUrl ? options.prismaUrl(database.url) : database.url;
  const prisma = createPrisma(prismaUrl);
  return {
    stores: { prisma, dynamo, tables: tableNames(tablePrefix), databaseUrl: prismaUrl },
    databaseUrl: database.url,
    dynamoEndpoint,
    tablePrefix,
    close: async () => {
      await prisma.$disconnect();
      dynamo.raw.destroy();
      dynamo.streams.destroy();
      await database.drop();
    },
  };
}
