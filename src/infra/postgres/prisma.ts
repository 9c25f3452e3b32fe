import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../../generated/prisma/client";
import type { StoreCallTracker } from "../store-calls";

export type { PrismaClient };

export function createPrisma(databaseUrl: string, tracker?: StoreCallTracker): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    // A Postgres outage must fail fast: reads fall back to DynamoDB instead of hanging.
    connectionTimeoutMillis: 2_000,
    max: 10,
  });
  const prisma = new PrismaClient({ adapter });
  return tracker ? trackPrisma(prisma, tracker) : prisma;
}

/**
 * Every Prisma operation (model queries and raw SQL alike) reported to the
 * tracker. The extension only observes, so the extended client has the same
 * shape as the base one and is handed out as a PrismaClient.
 */
function trackPrisma(prisma: PrismaClient, tracker: StoreCallTracker): PrismaClient {
  const extended = prisma.$extends({
    name: "store-call-tracking",
    query: {
      async $allOperations({ model, operation, args, query }) {
        const started = process.hrtime.bigint();
        const record = (ok: boolean) =>
          tracker.record({
            store: "postgres",
            operation: model ? `${model}.${operation}` : operation,
            durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
            ok,
          });
        try {
          const result = await query(args);
          record(true);
          return result;
        } catch (error) {
          record(false);
          throw error;
        }
      },
    },
  });
  return extended as unknown as PrismaClient;
}
