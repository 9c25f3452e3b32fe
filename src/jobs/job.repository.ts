// Jobs live in DynamoDB (authoritative); the Postgres cache (src/cache) mirrors them.
// Items: { jobId, kind: "job", vmId, commandId?, command, status, startedAt, finishedAt? }.
// kind is the constant partition of the byStartedAt index (jobs across VMs).
import { ConditionalCheckFailedException, TransactionCanceledException, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { toCommandItem } from "../commands/command.repository.js";
import type { Command } from "../commands/command.model.js";
import type { TableNames } from "../infra/dynamodb/tables.js";
import { batchGetAll } from "../infra/dynamodb/batch-get.js";
import { queryNewestFirst, type TimeKey } from "../infra/dynamodb/newest-first.js";
import { fromMicros, toMicros } from "../shared/log-timestamp.js";
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
  /**
   * The last log ts any append has claimed (logClaim). Every line of the
   * job's log is at or below it; absent until the first claim (and on jobs
   * whose lines were written before claims existed).
   */
  logClaimedTs?: string;
  /**
   * Claims whose lines are still being written, by claim id. Created by the
   * first claim and never removed (an empty map means none pending).
   */
  logPending?: Record<string, PendingClaim>;
}

interface PendingClaim {
  first: string;
  claimedAt: string;
  /**
   * Epoch ms after which another append or a reader may take the claim over
   * (its writer died or stalled); the writer renews it while it writes.
   * Absent on claims made before leases existed: claimedAt + the lease.
   */
  expiresAt?: number;
}

/** One item of a TransactWriteItems, as lib-dynamodb takes it. */
export type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]>[number];

/**
 * The check each transaction of a claim's lines carries (JobRepository.logClaimGuard):
 * a ConditionCheck that the claim is still held, or, once a third of the
 * lease has gone by, an Update that also renews it.
 */
export type LogClaimGuard = () => TransactItem;

export interface JobRepositoryOptions {
  /** How long a log claim holds without renewal before it may be taken over. */
  logClaimLeaseMs: number;
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

/** A job as an append needs it: its state and how far its log is claimed. */
export interface JobLogState {
  job: Job;
  logClaimedTs: string | null;
  /**
   * The watermark: every line at or below it is stored (or its append gave up
   * on it), so a reader that has read up to it never misses a line below it.
   * 1 µs before the first pending claim, else the end of the last claim.
   */
  logCompleteTs: string | null;
  /** Whether the item has its logPending map yet (the claim's update differs). */
  hasPendingMap: boolean;
}

const toLogState = (item: JobItem): JobLogState => {
  const pending = Object.values(item.logPending ?? {}).map((claim) => toMicros(claim.first));
  const lowest = pending.reduce<bigint | null>((min, ts) => (min === null || ts < min ? ts : min), null);
  return {
    job: toJob(item),
    logClaimedTs: item.logClaimedTs ?? null,
    logCompleteTs: lowest === null ? (item.logClaimedTs ?? null) : fromMicros(lowest - 1n),
    hasPendingMap: item.logPending !== undefined,
  };
};

export type ClaimRefusal =
  | { outcome: "missing" }
  | { outcome: "closed"; job: Job }
  /** Another append claimed up to `logClaimedTs`, at or past the range asked for. */
  | { outcome: "taken"; state: JobLogState };

export type SetStatusResult = { outcome: "updated"; job: Job } | { outcome: "missing" } | { outcome: "not-running"; job: Job };

export class JobRepository {
  private readonly table: string;

  private readonly lease: number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: TableNames,
    options: JobRepositoryOptions,
  ) {
    this.table = tables.jobs;
    this.lease = options.logClaimLeaseMs;
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

  /**
   * The job and its log claim in one strongly consistent read. A pending
   * claim whose lease ran out (its writer was killed, or stalled past the
   * lease) is taken over first: removed from the item, so the watermark
   * passes it. Its writer's later line writes are refused by the guard they
   * carry (logClaimGuard), so no line can land below a watermark a reader has
   * already passed. Safety rests on that condition, not on clocks: a clock
   * that is off only makes a takeover come early or late.
   */
  async getLogState(id: string): Promise<JobLogState | null> {
    for (;;) {
      const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { jobId: id }, ConsistentRead: true }));
      if (!out.Item) return null;
      const item = out.Item as JobItem;
      const expired = this.expiredClaims(item, Date.now());
      if (expired.length === 0) return toLogState(item);
      const after = await this.takeOverClaims(id, expired);
      // Null: a claim was renewed or released meanwhile; read again.
      if (after) return toLogState(after);
    }
  }

  private expiredClaims(item: JobItem, now: number): Array<{ claimId: string; expiresAt: number | undefined }> {
    return Object.entries(item.logPending ?? {})
      .filter(([, claim]) => (claim.expiresAt ?? Date.parse(claim.claimedAt) + this.lease) < now)
      .map(([claimId, claim]) => ({ claimId, expiresAt: claim.expiresAt }));
  }

  /** Removes the claims, each only if it was not renewed since it was read; the item after, or null. */
  private async takeOverClaims(id: string, claims: Array<{ claimId: string; expiresAt: number | undefined }>): Promise<JobItem | null> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const conditions = claims.map(({ claimId, expiresAt }, i) => {
      names[`#c${i}`] = claimId;
      if (expiresAt === undefined) return `attribute_exists(logPending.#c${i}) AND attribute_not_exists(logPending.#c${i}.expiresAt)`;
      values[`:e${i}`] = expiresAt;
      return `logPending.#c${i}.expiresAt = :e${i}`;
    });
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId: id },
          UpdateExpression: `REMOVE ${claims.map((_, i) => `logPending.#c${i}`).join(", ")}`,
          ConditionExpression: conditions.join(" AND "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
          ReturnValues: "ALL_NEW",
        }),
      );
      return out.Attributes as JobItem;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw error;
    }
  }

  /**
   * The guard for one claim's line writes after the first (the first carries
   * the claim itself): the transaction stores its lines only while the claim
   * is still on the job's item. Each call gives the next transaction's guard;
   * once a third of the lease has passed since the claim or its last renewal,
   * that guard renews the lease too, so a live writer keeps its claim however
   * long its batch takes.
   */
  logClaimGuard(id: string, claimId: string): LogClaimGuard {
    let renewedAt = Date.now();
    const key = { TableName: this.table, Key: { jobId: id } };
    const held = { ConditionExpression: "attribute_exists(logPending.#claim)", ExpressionAttributeNames: { "#claim": claimId } };
    return () => {
      const now = Date.now();
      if (now - renewedAt < this.lease / 3) return { ConditionCheck: { ...key, ...held } };
      renewedAt = now;
      return {
        Update: {
          ...key,
          ...held,
          UpdateExpression: "SET logPending.#claim.expiresAt = :expiresAt",
          ExpressionAttributeValues: { ":expiresAt": now + this.lease },
        },
      };
    };
  }

  /**
   * The claim of the log range [first, last] for one append, as the job's
   * action in the transaction that writes the append's first lines
   * (LogLineRepository.write), so claiming costs no call of its own: the job's
   * item moves logClaimedTs to `last` only if everything claimed so far is
   * before `first` and the job still runs. DynamoDB serialises writes of one
   * item, so two instances can never claim overlapping ranges, and a finished
   * job's log is closed by the same condition that hands out ranges.
   *
   * The claim stays in logPending until releaseLogRange, holding the
   * watermark below it, even when every line is in this one transaction:
   * DynamoDB shows a transaction's items to other reads (GetItem, Query) one
   * by one, only TransactGetItems sees all or none, so a reader that saw the
   * watermark move in the same transaction could still miss a line of it.
   * The release, a call after the last transaction has returned, cannot race
   * its lines. `state` is the item as the caller last knew it. A refusal
   * carries the item as it was (claimRefusal).
   */
  logClaim(id: string, claimId: string, first: string, last: string, state: Pick<JobLogState, "hasPendingMap">): TransactItem {
    const now = Date.now();
    const pending: PendingClaim = { first, claimedAt: new Date(now).toISOString(), expiresAt: now + this.lease };
    return {
      Update: {
        TableName: this.table,
        Key: { jobId: id },
        // A nested path can only be set inside an existing map: the first claim creates it.
        UpdateExpression: state.hasPendingMap ? "SET logClaimedTs = :last, logPending.#claim = :pending" : "SET logClaimedTs = :last, logPending = :pendingMap",
        ConditionExpression:
          "attribute_exists(jobId) AND #status = :running AND (attribute_not_exists(logClaimedTs) OR logClaimedTs < :first) AND " +
          (state.hasPendingMap ? "attribute_exists(logPending)" : "attribute_not_exists(logPending)"),
        ExpressionAttributeNames: { "#status": "status", ...(state.hasPendingMap ? { "#claim": claimId } : {}) },
        ExpressionAttributeValues: {
          ":first": first,
          ":last": last,
          ":running": "running",
          ...(state.hasPendingMap ? { ":pending": pending } : { ":pendingMap": { [claimId]: pending } }),
        },
        // The refusal carries the item as it was, so the loser learns why without another read.
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    };
  }

  /** Why a claim (logClaim) was refused, from the item its refusal carried. */
  claimRefusal(item: Record<string, AttributeValue> | undefined): ClaimRefusal {
    if (!item) return { outcome: "missing" };
    const job = unmarshall(item) as JobItem;
    if (job.status !== "running") return { outcome: "closed", job: toJob(job) };
    return { outcome: "taken", state: toLogState(job) };
  }

  /** The claim's lines are written, or will never be: the watermark may pass them. */
  async releaseLogRange(id: string, claimId: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { jobId: id },
        UpdateExpression: "REMOVE logPending.#claim",
        ExpressionAttributeNames: { "#claim": claimId },
      }),
    );
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
