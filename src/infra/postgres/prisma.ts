import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../../generated/prisma/client";

export type { PrismaClient };

export function createPrisma(databaseUrl: string): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    // A Postgres outage must fail fast: reads fall back to DynamoDB instead of hanging.
    connectionTimeoutMillis: 2_000,
    max: 10,
  });
  // Query events feed the store-call observer (src/infra/store-calls.ts): metrics
  // count statements and their latency with it, tests count calls.
  return new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] }) as unknown as PrismaClient;
}
