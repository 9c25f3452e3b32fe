// Jobs live in DynamoDB (authoritative); the Postgres cache (src/cache) mirrors them.
// Items: { jobId, kind: "job", vmId, commandId?, command, status, startedAt, finishedAt? }.
// kind is the constant partition of the byStartedAt index (jobs across VMs).
import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { toCommandItem } from "../commands/command.repository.js";
import type { Command } from "../commands/command.model.js";
import type { TableNames } from "../infra/dynamodb/tables.js";
import { batchGetAll } from "../infra/dynamodb/batch-get.js";
import { queryNewestFirst, type TimeKey } from "../infra/dynamodb/newest-first.js";
import type { Job, JobStatus } from "./job.model.js";

export interface JobItem {
  jobId: string;
  kind: "job";
  vmId: string;
  commandId?: string;
  command: string;
  status: JobStatus;
  startedAt: string;
  finishedAt?: string;
}

export const toJob = (item: JobItem): Job => ({
  id: item.jobId,
  vmId: item.vmId,
  commandId: item.commandId ?? null,
  command: item.command,
  status: item.status,
  startedAt: item.startedAt ? new Date(item.startedAt) : null,
  finishedAt: item.finishedAt ? new Date(item.finishedAt) : null,
});

export const toJobItem = (job: Job): JobItem => ({
  jobId: job.id,
  kind: "job",
  vmId: job.vmId,
  ...(job.commandId ? { commandId: job.commandId } : {}),
  command: job.command,
  status: job.status,
  // Every job this API writes has a start; the index needs one.
  startedAt: (job.startedAt ?? new Date(0)).toISOString(),
  ...(job.finishedAt ? { finishedAt: job.finishedAt.toISOString() } : {}),
});

/** What a job listing selects, whichever store answers it. */
export interface JobListQuery {
  vmId?: string;
  commandId?: string;
  status?: JobStatus;
  /** startedAt >= this (inclusive). */
  startedFrom?: Date;
  /** Strictly before this (startedAt, id): a cursor, a horizon or startedBefore. */
  before?: TimeKey;
  limit: number;
}

export type SetStatusResult = { outcome: "updated"; job: Job } | { outcome: "missing" } | { outcome: "not-running"; job: Job };

export class JobRepository {
  private readonly table: string;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: TableNames,
  ) {
    this.table = tables.jobs;
  }

  /**
   * A command and the job that runs it, in one TransactWriteItems: both or
   * neither. The VM's item is condition-checked in the same transaction, so a
   * VM deleted at the same moment cannot end up with a new command.
   * Returns false (nothing written) when the VM does not exist.
   */
  async createWithCommand(command: Command, job: Job): Promise<boolean> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { ConditionCheck: { TableName: this.tables.vms, Key: { vmId: command.vmId }, ConditionExpression: "attribute_exists(vmId)" } },
            { Put: { TableName: this.tables.commands, Item: toCommandItem(command), ConditionExpression: "attribute_not_exists(commandId)" } },
            { Put: { TableName: this.table, Item: toJobItem(job), ConditionExpression: "attribute_not_exists(jobId)" } },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === "ConditionalCheckFailed") {
        return false;
      }
      throw error;
    }
  }

  async get(id: string, consistentRead = false): Promise<Job | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { jobId: id }, ConsistentRead: consistentRead }));
    return out.Item ? toJob(out.Item as JobItem) : null;
  }

  async getMany(ids: readonly string[]): Promise<Job[]> {
    const items = await batchGetAll<JobItem>(this.doc, this.table, ids.map((jobId) => ({ jobId })));
    return items.map(toJob);
  }

  /**
   * RUNNING → status, once: the condition makes DynamoDB pick exactly one of
   * concurrent calls; the others see the item as it was and learn why.
   */
  async finish(id: string, status: Exclude<JobStatus, "running">, finishedAt: Date): Promise<SetStatusResult> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId: id },
          UpdateExpression: "SET #status = :status, finishedAt = :finishedAt",
          ConditionExpression: "attribute_exists(jobId) AND #status = :running",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":status": status, ":finishedAt": finishedAt.toISOString(), ":running": "running" },
          ReturnValues: "ALL_NEW",
        }),
      );
      return { outcome: "updated", job: toJob(out.Attributes as JobItem) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Only the losing path pays this read, to tell "no such job" from "already finished".
      const current = await this.get(id, true);
      return current ? { outcome: "not-running", job: current } : { outcome: "missing" };
    }
  }

  /** Newest first by (startedAt, id), through byVmId, byCommandId or byStartedAt. */
  async list(q: JobListQuery): Promise<Job[]> {
    const partition = q.vmId
      ? { index: "byVmId", name: "vmId", value: q.vmId }
      : q.commandId
        ? { index: "byCommandId", name: "commandId", value: q.commandId }
        : { index: "byStartedAt", name: "kind", value: "job" };
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    if (q.status) {
      filters.push("#status = :status");
      names["#status"] = "status";
      values[":status"] = q.status;
    }
    if (q.vmId && q.commandId) {
      filters.push("commandId = :commandId");
      values[":commandId"] = q.commandId;
    }
    const items = await queryNewestFirst<Record<string, unknown>>(this.doc, {
      table: this.table,
      index: partition.index,
      partition: { name: partition.name, value: partition.value },
      sortKey: "startedAt",
      idKey: "jobId",
      before: q.before,
      notBefore: q.startedFrom?.toISOString(),
      filter: filters.length ? { expression: filters.join(" AND "), names, values } : undefined,
      limit: q.limit,
    });
    return items.map((item) => toJob(item as unknown as JobItem));
  }
}
