// The four authoritative DynamoDB tables (shared/DESIGN.md), defined once and
// created on demand behind DYNAMODB_TABLE_PREFIX.
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";

export type TableKey = "vms" | "commands" | "jobs" | "logs";
export type TableNames = Record<TableKey, string>;

export function tableNames(prefix: string): TableNames {
  return { vms: `${prefix}vms`, commands: `${prefix}commands`, jobs: `${prefix}jobs`, logs: `${prefix}logs` };
}

type TableDefinition = Omit<CreateTableCommandInput, "TableName">;

/**
 * Jobs and logs publish every write to a DynamoDB Stream (the item as written):
 * the cache's durable catch-up (src/cache/cache-stream.ts) replays it into
 * PostgreSQL, whichever instance wrote and even if it died before its own
 * cache write.
 */
const NEW_IMAGE_STREAM = { StreamEnabled: true, StreamViewType: "NEW_IMAGE" as const };

const S = "S" as const;
const allProjected = { ProjectionType: "ALL" as const };

export const TABLE_DEFINITIONS: Record<TableKey, TableDefinition> = {
  vms: {
    AttributeDefinitions: [
      { AttributeName: "vmId", AttributeType: S },
      { AttributeName: "environment", AttributeType: S },
      { AttributeName: "createdAt", AttributeType: S },
    ],
    KeySchema: [{ AttributeName: "vmId", KeyType: "HASH" }],
    GlobalSecondaryIndexes: [
      {
        IndexName: "byEnvironment",
        KeySchema: [
          { AttributeName: "environment", KeyType: "HASH" },
          { AttributeName: "createdAt", KeyType: "RANGE" },
        ],
        Projection: allProjected,
      },
    ],
  },
  commands: {
    AttributeDefinitions: [
      { AttributeName: "commandId", AttributeType: S },
      { AttributeName: "vmId", AttributeType: S },
      { AttributeName: "createdAt", AttributeType: S },
      { AttributeName: "issuedBy", AttributeType: S },
    ],
    KeySchema: [{ AttributeName: "commandId", KeyType: "HASH" }],
    GlobalSecondaryIndexes: [
      {
        IndexName: "byVmId",
        KeySchema: [
          { AttributeName: "vmId", KeyType: "HASH" },
          { AttributeName: "createdAt", KeyType: "RANGE" },
        ],
        Projection: allProjected,
      },
      {
        // GDPR: a user's commands (export, erasure). Sparse: erased users' commands drop out.
        IndexName: "byIssuedBy",
        KeySchema: [
          { AttributeName: "issuedBy", KeyType: "HASH" },
          { AttributeName: "createdAt", KeyType: "RANGE" },
        ],
        Projection: allProjected,
      },
    ],
  },
  jobs: {
    AttributeDefinitions: [
      { AttributeName: "jobId", AttributeType: S },
      { AttributeName: "vmId", AttributeType: S },
      { AttributeName: "commandId", AttributeType: S },
      { AttributeName: "startedAt", AttributeType: S },
      { AttributeName: "kind", AttributeType: S },
    ],
    KeySchema: [{ AttributeName: "jobId", KeyType: "HASH" }],
    GlobalSecondaryIndexes: [
      {
        IndexName: "byVmId",
        KeySchema: [
          { AttributeName: "vmId", KeyType: "HASH" },
          { AttributeName: "startedAt", KeyType: "RANGE" },
        ],
        Projection: allProjected,
      },
      {
        // jobs(filter) without a vmId, newest first, when the cache cannot answer
        // (Postgres down, or rows older than the cache keeps). Every job item has
        // kind = "job", so this is one ordered partition: simple and exact, good
        // for ~1,000 job writes/s (one GSI partition); shard the key by day if
        // the orchestrator ever needs more.
        IndexName: "byStartedAt",
        KeySchema: [
          { AttributeName: "kind", KeyType: "HASH" },
          { AttributeName: "startedAt", KeyType: "RANGE" },
        ],
        Projection: allProjected,
      },
      {
        IndexName: "byCommandId",
        KeySchema: [
          { AttributeName: "commandId", KeyType: "HASH" },
          { AttributeName: "startedAt", KeyType: "RANGE" },
        ],
        Projection: allProjected,
      },
    ],
    StreamSpecification: NEW_IMAGE_STREAM,
  },
  logs: {
    AttributeDefinitions: [
      { AttributeName: "jobId", AttributeType: S },
      { AttributeName: "ts", AttributeType: S },
    ],
    KeySchema: [
      { AttributeName: "jobId", KeyType: "HASH" },
      { AttributeName: "ts", KeyType: "RANGE" },
    ],
    StreamSpecification: NEW_IMAGE_STREAM,
  },
};

/** Creates the tables that are missing and waits until each is ACTIVE. Returns the names it created. */
export async function ensureTables(client: DynamoDBClient, prefix: string): Promise<string[]> {
  const names = tableNames(prefix);
  const created: string[] = [];
  await Promise.all(
    (Object.keys(TABLE_DEFINITIONS) as TableKey[]).map(async (key) => {
      const TableName = names[key];
      if (await tableExists(client, TableName)) {
        await addMissingIndexes(client, TableName, TABLE_DEFINITIONS[key]);
        await enableMissingStream(client, TableName, TABLE_DEFINITIONS[key]);
        return;
      }
      try {
        await client.send(new CreateTableCommand({ TableName, BillingMode: "PAY_PER_REQUEST", ...TABLE_DEFINITIONS[key] }));
        created.push(TableName);
      } catch (error) {
        // Another process created it between our check and our call.
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { TableName });
    }),
  );
  return created;
}

/**
 * Tables created before an index was added to TABLE_DEFINITIONS get it here
 * (DynamoDB builds one new GSI per UpdateTable call).
 */
async function addMissingIndexes(client: DynamoDBClient, TableName: string, definition: TableDefinition): Promise<void> {
  const wanted = definition.GlobalSecondaryIndexes ?? [];
  for (const index of wanted) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName }));
    if (Table?.GlobalSecondaryIndexes?.some((existing) => existing.IndexName === index.IndexName)) continue;
    const names = new Set(index.KeySchema?.map((k) => k.AttributeName));
    await client.send(
      new UpdateTableCommand({
        TableName,
        AttributeDefinitions: definition.AttributeDefinitions?.filter((a) => names.has(a.AttributeName)),
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }],
      }),
    );
    for (let i = 0; i < 120; i++) {
      const { Table: now } = await client.send(new DescribeTableCommand({ TableName }));
      const status = now?.GlobalSecondaryIndexes?.find((g) => g.IndexName === index.IndexName)?.IndexStatus;
      if (status === "ACTIVE" && now?.TableStatus === "ACTIVE") break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

/** Tables created before their stream was defined get it here (after any index build: one update at a time). */
async function enableMissingStream(client: DynamoDBClient, TableName: string, definition: TableDefinition): Promise<void> {
  const wanted = definition.StreamSpecification;
  if (!wanted?.StreamEnabled) return;
  const { Table } = await client.send(new DescribeTableCommand({ TableName }));
  if (Table?.StreamSpecification?.StreamEnabled) return;
  try {
    await client.send(new UpdateTableCommand({ TableName, StreamSpecification: wanted }));
  } catch (error) {
    // Another process enabled it between our check and our call.
    if (!(error instanceof ResourceInUseException) && !(error instanceof Error && /already has an enabled stream/i.test(error.message))) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { TableName });
}

async function tableExists(client: DynamoDBClient, TableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}
