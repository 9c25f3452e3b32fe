// Row counts in both stores, for "nothing was stored" assertions.
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { TestServer } from "./test-server";

export async function dynamoCount(t: TestServer, table: "vms" | "commands" | "jobs" | "logs"): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await t.stores.dynamo.doc.send(
      new ScanCommand({ TableName: t.stores.tables[table], Select: "COUNT", ExclusiveStartKey: startKey }),
    );
    count += out.Count ?? 0;
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return count;
}

export async function cacheCount(t: TestServer, table: "jobs" | "job_logs"): Promise<number> {
  const rows = await t.stores.prisma.$queryRawUnsafe<Array<{ n: bigint }>>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]!.n);
}

/** Counts of every table in both stores, after the cache writer has flushed. */
export async function storedCounts(t: TestServer) {
  await t.server.container.cache.writer.idle();
  return {
    commands: await dynamoCount(t, "commands"),
    jobs: await dynamoCount(t, "jobs"),
    logs: await dynamoCount(t, "logs"),
    cachedJobs: await cacheCount(t, "jobs"),
    cachedLogs: await cacheCount(t, "job_logs"),
  };
}
