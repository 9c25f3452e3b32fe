import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../../generated/prisma/client.js";

export type { PrismaClient };

export function createPrisma(databaseUrl: string): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    // A Postgres outage must fail fast: reads fall back to DynamoDB instead of hanging.
    connectionTimeoutMillis: 2_000,
    max: 10,
  });
  // Query events feed the store-call counter (src/infra/store-calls.ts): tests
  // assert DataLoader batching with it and metrics count statements with it.
  return new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] }) as unknown as PrismaClient;
}
