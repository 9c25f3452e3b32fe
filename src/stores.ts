// Opens the two stores as configured, or starts embedded ones under DATA_DIR
// when nothing is configured; then migrates PostgreSQL and creates the
// DynamoDB tables that are missing.
import path from "node:path";
import type { Config } from "./config/env";
import type { Stores } from "./container";
import { createDynamo } from "./infra/dynamodb/client";
import { startEmbeddedDynamo } from "./infra/dynamodb/embedded";
import { ensureTables, tableNames } from "./infra/dynamodb/tables";
import type { Logger } from "./infra/logger";
import { startEmbeddedPostgres } from "./infra/postgres/embedded";
import { migrate } from "./infra/postgres/migrate";
import { createPrisma } from "./infra/postgres/prisma";

export interface OpenStores {
  stores: Stores;
  databaseUrl: string;
  dynamoEndpoint: string | undefined;
  close(): Promise<void>;
}

export async function openStores(config: Config, logger: Logger): Promise<OpenStores> {
  const stops: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => logger.warn({ err: error }, "stop failed"));
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres(config.dataDir);
      stops.push(embedded.stop);
      databaseUrl = embedded.url;
      logger.info({ dir: path.resolve(config.dataDir, "postgres") }, "embedded PostgreSQL started");
    }
    let dynamoEndpoint = config.dynamoEndpoint;
    if (!dynamoEndpoint && !config.awsRegion) {
      const embedded = await startEmbeddedDynamo({ dataDir: path.join(config.dataDir, "dynamodb") });
      stops.push(embedded.stop);
      dynamoEndpoint = embedded.endpoint;
      logger.info({ endpoint: dynamoEndpoint }, "embedded DynamoDB Local started");
    }

    const { applied } = await migrate(databaseUrl);
    if (applied.length) logger.info({ applied }, "migrations applied");
    const dynamo = createDynamo({ endpoint: dynamoEndpoint, region: config.awsRegion });
    stops.push(async () => {
      dynamo.raw.destroy();
      dynamo.streams.destroy();
    });
    const created = await ensureTables(dynamo.raw, config.tablePrefix);
    if (created.length) logger.info({ created }, "DynamoDB tables created");

    const prisma = createPrisma(databaseUrl);
    stops.push(() => prisma.$disconnect());
    return { stores: { prisma, dynamo, tables: tableNames(config.tablePrefix), databaseUrl }, databaseUrl, dynamoEndpoint, close };
  } catch (error) {
    await close();
    throw error;
  }
}
