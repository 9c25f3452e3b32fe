// Items written straight into the stores, for states the API cannot produce
// now: jobs started before the cache horizon, jobs the cache never saw.
import { randomUUID } from "node:crypto";
import { BatchWriteCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { TestServer } from "./test-server";

export const daysAgo = (days: number, plusMs = 0) => new Date(Date.now() - days * 86_400_000 + plusMs);

export async function putVmItem(t: TestServer, vm: { id: string; environment?: string; createdAt: Date }) {
  await t.stores.dynamo.doc.send(
    new PutCommand({
      TableName: t.stores.tables.vms,
      Item: {
        vmId: vm.id,
        name: vm.id,
        environment: vm.environment ?? "fixtures",
        tags: {},
        createdAt: vm.createdAt.toISOString(),
        updatedAt: vm.createdAt.toISOString(),
      },
    }),
  );
}

export async function putJobItem(
  t: TestServer,
  job: { vmId: string; startedAt: Date; status?: string; id?: string; command?: string },
): Promise<string> {
  const id = job.id ?? randomUUID();
  await t.stores.dynamo.doc.send(
    new PutCommand({
      TableName: t.stores.tables.jobs,
      Item: {
        jobId: id,
        kind: "job",
        vmId: job.vmId,
        command: job.command ?? "fixture",
        status: job.status ?? "success",
        startedAt: job.startedAt.toISOString(),
      },
    }),
  );
  return id;
}

export async function putLogItem(t: TestServer, line: { jobId: string; ts: string; stream?: string; data: string }) {
  await t.stores.dynamo.doc.send(
    new PutCommand({ TableName: t.stores.tables.logs, Item: { stream: "stdout", ...line } }),
  );
}

/** Log items straight into DynamoDB (no claim, no cache): 25 per BatchWriteItem, what is left unprocessed retried. */
export async function putLogItems(t: Pick<TestServer, "stores">, lines: Array<{ jobId: string; ts: string; stream: string; data: string }>) {
  for (let i = 0; i < lines.length; i += 25) {
    let pending: any[] | undefined = lines.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (pending && pending.length > 0) {
      const out: { UnprocessedItems?: Record<string, any[]> } = await t.stores.dynamo.doc.send(new BatchWriteCommand({ RequestItems: { [t.stores.tables.logs]: pending } }));
      pending = out.UnprocessedItems?.[t.stores.tables.logs];
    }
  }
}

/** Every log item of a job as DynamoDB holds it (consistent read, all pages), oldest first. */
export async function storedLogItems(t: Pick<TestServer, "stores">, jobId: string): Promise<Array<Record<string, any>>> {
  const items: Array<Record<string, any>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await t.stores.dynamo.doc.send(
      new QueryCommand({
        TableName: t.stores.tables.logs,
        KeyConditionExpression: "jobId = :j",
        ExpressionAttributeValues: { ":j": jobId },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}
