// What a full resync reads from DynamoDB, at a settable read rate: the jobs of
// the window in the byStartedAt index's order (oldest first, so jobs started
// during the run come last and a checkpoint is one key), and every line of a
// job. Eventually consistent reads (half the cost): a write they miss reaches
// the cache through the writer or the stream like any other.
import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import { QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { TableNames } from "../infra/dynamodb/tables.js";
import type { Job } from "../jobs/job.model.js";
import { toJob, type JobItem } from "../jobs/job.repository.js";
import type { LogLine, LogStream } from "../logs/log-line.model.js";
import type { ResyncCursor } from "./resync-state.js";

/**
 * A token bucket of read capacity units that may go into debt: a Query's cost
 * is known only from its answer (ConsumedCapacity), so each call first waits
 * until the bucket is out of debt, then pays what it consumed. Over any
 * stretch the rate stays at `unitsPerSecond` (bursts of at most one second's
 * worth). Hand-written: the rate-limit packages take a cost before the call.
 */
export class ReadThrottle {
  private tokens: number;
  private last: number;
  spent = 0;

  constructor(
    readonly unitsPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = unitsPerSecond;
    this.last = now();
  }

  /** How long the next call must wait for the bucket to be out of debt. */
  delayMs(): number {
    this.refill();
    return this.tokens < 0 ? Math.ceil((-this.tokens / this.unitsPerSecond) * 1000) : 0;
  }

  async ready(signal?: AbortSignal): Promise<void> {
    for (let wait = this.delayMs(); wait > 0 && !signal?.aborted; wait = this.delayMs()) {
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  pay(units: number): void {
    this.refill();
    this.tokens -= units;
    this.spent += units;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.unitsPerSecond, this.tokens + ((now - this.last) / 1000) * this.unitsPerSecond);
    this.last = now;
  }
}

/** DynamoDB Local reports no capacity: then 0.5 unit per 4 KB read (eventually consistent), at least 0.5 a call. */
function unitsOf(consumed: ConsumedCapacity | undefined, items: Array<Record<string, unknown>>): number {
  if (consumed?.CapacityUnits !== undefined) return consumed.CapacityUnits;
  const bytes = items.reduce((sum, item) => sum + JSON.stringify(item).length, 0);
  return Math.max(0.5, Math.ceil(bytes / 4096) * 0.5);
}

export interface WindowJob {
  job: Job;
  cursor: ResyncCursor;
}

const JOBS_PAGE = 100;
const LINES_PAGE = 1_000;

export class ResyncSource {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: TableNames,
    private readonly throttle: ReadThrottle,
    private readonly signal?: AbortSignal,
  ) {}

  private async query(input: ConstructorParameters<typeof QueryCommand>[0]) {
    await this.throttle.ready(this.signal);
    const out = await this.doc.send(new QueryCommand({ ...input, ReturnConsumedCapacity: "TOTAL" }), { abortSignal: this.signal });
    this.throttle.pay(unitsOf(out.ConsumedCapacity, (out.Items ?? []) as Array<Record<string, unknown>>));
    return out;
  }

  private windowQuery(since: string) {
    return {
      TableName: this.tables.jobs,
      IndexName: "byStartedAt",
      KeyConditionExpression: "kind = :kind AND startedAt >= :since",
      ExpressionAttributeValues: { ":kind": "job", ":since": since },
    };
  }

  /** How many jobs started at or after `since` (Select COUNT: the index is read, nothing is returned). */
  async countJobs(since: string): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.query({ ...this.windowQuery(since), Select: "COUNT", ExclusiveStartKey: start });
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  /** Whether any job started in [since, before). */
  async hasJobs(since: string, before: string): Promise<boolean> {
    const out = await this.query({
      TableName: this.tables.jobs,
      IndexName: "byStartedAt",
      KeyConditionExpression: "kind = :kind AND startedAt BETWEEN :since AND :before",
      ExpressionAttributeValues: { ":kind": "job", ":since": since, ":before": before },
      Limit: 1,
    });
    return (out.Items?.length ?? 0) > 0;
  }

  /** The window's jobs, oldest first, after `after` when resuming. */
  async *jobs(since: string, after: ResyncCursor | null): AsyncGenerator<WindowJob> {
    let start: Record<string, unknown> | undefined = after ? { kind: "job", startedAt: after.startedAt, jobId: after.jobId } : undefined;
    do {
      const out = await this.query({ ...this.windowQuery(since), Limit: JOBS_PAGE, ExclusiveStartKey: start });
      for (const item of (out.Items ?? []) as JobItem[]) {
        yield { job: toJob(item), cursor: { startedAt: item.startedAt, jobId: item.jobId } };
      }
      start = out.LastEvaluatedKey;
    } while (start);
  }

  /** Every line of a job, oldest first, a page at a time. */
  async *lines(jobId: string): AsyncGenerator<LogLine[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.query({
        TableName: this.tables.logs,
        KeyConditionExpression: "jobId = :jobId",
        ExpressionAttributeValues: { ":jobId": jobId },
        Limit: LINES_PAGE,
        ExclusiveStartKey: start,
      });
      const items = (out.Items ?? []) as Array<{ jobId: string; ts: string; stream: LogStream; data?: string }>;
      if (items.length) yield items.map((i) => ({ jobId: i.jobId, ts: i.ts, stream: i.stream, data: i.data ?? "" }));
      start = out.LastEvaluatedKey;
    } while (start);
  }
}
