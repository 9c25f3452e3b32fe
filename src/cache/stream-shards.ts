// The cache stream's shard walking: DescribeStream for the jobs and logs
// tables' shards, then, round after round, each ready shard's next records.
// A shard is read after its parent is finished (or gone), so a job's records
// stay in order; jobs' shards before logs' in each round. A round's position
// moves on only once its records are applied (commit); otherwise (rewind) the
// next round re-reads them from where each shard was last applied.
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ResourceNotFoundException,
  TrimmedDataAccessException,
  type _Record,
  type DynamoDBStreamsClient,
} from "@aws-sdk/client-dynamodb-streams";
import type { TableNames } from "../infra/dynamodb/tables.js";
import type { Logger } from "../infra/logger.js";

export type StreamTable = "jobs" | "logs";

export interface Shard {
  table: StreamTable;
  arn: string;
  id: string;
  parentId: string | undefined;
  iterator: string | undefined;
  /** The last record applied: where a lost or expired iterator resumes. */
  lastSeq: string | undefined;
  done: boolean;
}

const shardKey = (arn: string, id: string) => `${arn}|${id}`;

/** Open shards whose parent is finished or gone (trimmed): a job's records stay in order. Jobs' before logs'. */
export function readyShards(shards: ReadonlyMap<string, Shard>): Shard[] {
  const ready = [...shards.values()].filter((shard) => {
    if (shard.done) return false;
    const parent = shard.parentId ? shards.get(shardKey(shard.arn, shard.parentId)) : undefined;
    return !parent || parent.done;
  });
  return ready.sort((a, b) => (a.table === b.table ? 0 : a.table === "jobs" ? -1 : 1));
}

export interface ShardsDeps {
  dynamo: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  tables: TableNames;
  logger: Logger;
  /** Records were trimmed before the cache read them (the full resync takes it from here). */
  onTrimmed?(): void;
}

/** One round's records, and how to move the shards past them once they are applied. */
export interface Round {
  records: Record<StreamTable, _Record[]>;
  read: number;
  commit(): void;
}

export class StreamShards {
  private readonly shards = new Map<string, Shard>();
  private describedAt = 0;
  private mustDescribe = true;
  private touched: Shard[] = [];

  constructor(
    private readonly deps: ShardsDeps,
    private readonly options: { describeEveryMs: number; recordsPerCall: number },
    private readonly signal: () => AbortSignal,
  ) {}

  /** Whether the shard list must be read again before the shards can be called at their tip (a shard closed). */
  get stale(): boolean {
    return this.mustDescribe;
  }

  /** Reads every ready shard once; throws (nothing moved) when DynamoDB fails. */
  async read(now: number): Promise<Round> {
    this.touched = [];
    if (this.mustDescribe || now - this.describedAt >= this.options.describeEveryMs) {
      await this.describe(this.shards);
      this.describedAt = now;
      this.mustDescribe = false;
    }
    const records: Record<StreamTable, _Record[]> = { jobs: [], logs: [] };
    const advance: Array<() => void> = [];
    let read = 0;
    for (const shard of readyShards(this.shards)) {
      this.touched.push(shard);
      const out = await this.getRecords(shard);
      if (!out) continue;
      records[shard.table].push(...out.records);
      read += out.records.length;
      const lastSeq = out.records.at(-1)?.dynamodb?.SequenceNumber;
      advance.push(() => {
        shard.iterator = out.next;
        if (lastSeq) shard.lastSeq = lastSeq;
        if (!out.next) {
          shard.done = true;
          this.mustDescribe = true;
        }
      });
    }
    return { records, read, commit: () => advance.forEach((step) => step()) };
  }

  /** After a failed round: re-read its records from where each shard was last applied. */
  rewind(): void {
    for (const shard of this.touched) shard.iterator = undefined;
  }

  private async describe(shards: Map<string, Shard>): Promise<void> {
    const seen = new Set<string>();
    for (const table of ["jobs", "logs"] as const) {
      const TableName = this.deps.tables[table];
      const { Table } = await this.deps.dynamo.send(new DescribeTableCommand({ TableName }), { abortSignal: this.signal() });
      const arn = Table?.LatestStreamArn;
      if (!arn || !Table?.StreamSpecification?.StreamEnabled) throw new Error(`table ${TableName} has no stream enabled (ensureTables enables it)`);
      let start: string | undefined;
      do {
        const out = await this.deps.streams.send(new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: start }), {
          abortSignal: this.signal(),
        });
        for (const s of out.StreamDescription?.Shards ?? []) {
          const key = shardKey(arn, s.ShardId!);
          seen.add(key);
          if (!shards.has(key)) {
            shards.set(key, { table, arn, id: s.ShardId!, parentId: s.ParentShardId, iterator: undefined, lastSeq: undefined, done: false });
          }
        }
        start = out.StreamDescription?.LastEvaluatedShardId;
      } while (start);
    }
    // Finished shards DynamoDB has trimmed are forgotten; their children then count them as done.
    for (const [key, shard] of shards) if (shard.done && !seen.has(key)) shards.delete(key);
  }

  /** The shard's next records, or undefined when the shard is gone. */
  private async getRecords(shard: Shard): Promise<{ records: _Record[]; next: string | undefined } | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        shard.iterator ??= await this.iterator(shard);
        const out = await this.deps.streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: this.options.recordsPerCall }), {
          abortSignal: this.signal(),
        });
        return { records: out.Records ?? [], next: out.NextShardIterator };
      } catch (error) {
        if (attempt > 0) throw error;
        if (error instanceof ExpiredIteratorException) {
          shard.iterator = undefined;
        } else if (error instanceof TrimmedDataAccessException) {
          this.deps.logger.error({ shard: shard.id, table: shard.table }, "cache stream: records were trimmed before the cache read them (consumer down > 24 h?)");
          shard.iterator = undefined;
          shard.lastSeq = undefined;
          this.deps.onTrimmed?.();
        } else if (error instanceof ResourceNotFoundException) {
          shard.done = true;
          return undefined;
        } else {
          throw error;
        }
      }
    }
  }

  private async iterator(shard: Shard): Promise<string> {
    const out = await this.deps.streams.send(
      new GetShardIteratorCommand({
        StreamArn: shard.arn,
        ShardId: shard.id,
        ...(shard.lastSeq
          ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER" as const, SequenceNumber: shard.lastSeq }
          : { ShardIteratorType: "TRIM_HORIZON" as const }),
      }),
      { abortSignal: this.signal() },
    );
    if (!out.ShardIterator) throw new Error(`no iterator for shard ${shard.id}`);
    return out.ShardIterator;
  }

}
