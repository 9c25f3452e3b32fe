// Log lines live in DynamoDB (authoritative): one item per line, key jobId + ts.
// ts is a fixed-width microsecond string, so the sort key's order is time order.
import { TransactionCanceledException, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { TransactItem } from "../jobs/job.repository.js";
import { fromMicros, toMicros } from "../shared/log-timestamp.js";
import type { LogLine, LogStream } from "./log-line.model.js";

/** A line as DynamoDB holds it. */
export interface LogItem {
  jobId: string;
  ts: string;
  stream: LogStream;
  data: string;
}

/** An item as the API sees it (an item written without data, by another writer, has an empty line). */
export const toLogLine = (item: LogItem): LogLine => ({ jobId: item.jobId, ts: item.ts, stream: item.stream, data: item.data ?? "" });

/** What a log listing selects, whichever store answers it. Oldest first. */
export interface LogListQuery {
  jobId: string;
  /** ts > after (a cursor). */
  after?: string;
  /** ts >= since. */
  since?: string;
  /** ts <= through (the live tail reads up to the log's watermark only). */
  through?: string;
  stream?: LogStream;
  limit: number;
}

/** Sorts before every ts (the fixed-width format's smallest value). */
const MIN_TS = "0000-01-01T00:00:00.000000Z";

/**
 * TransactWriteItems takes 100 actions: the job's (the claim or its guard) and
 * 99 lines. 99 lines of at most 16 KiB (LOG_LIMITS.lineBytes) are about 1.6 MB,
 * inside the transaction's 4 MB, so counting lines is enough.
 */
export const LINES_PER_WRITE = 99;

/** "refused": the job's action failed its condition and nothing was stored; `item` is the job's item as it was, when it returns one. */
export type WriteOutcome = { outcome: "written" } | { outcome: "refused"; item?: Record<string, AttributeValue> };

export class LogLineRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Stores up to LINES_PER_WRITE lines in one TransactWriteItems with the
   * job's action (JobRepository.logClaim or logClaimGuard): the lines are
   * stored with it, whole, or not at all.
   */
  async write(lines: LogLine[], jobAction: TransactItem): Promise<WriteOutcome> {
    if (lines.length > LINES_PER_WRITE) throw new Error(`LogLineRepository.write: ${lines.length} lines, at most ${LINES_PER_WRITE} per transaction`);
    const puts = lines.map((l) => ({ Put: { TableName: this.table, Item: { jobId: l.jobId, ts: l.ts, stream: l.stream, data: l.data } } }));
    try {
      // A cancellation by a concurrent write to the job's item is retried by the client (retry.ts).
      await this.doc.send(new TransactWriteCommand({ TransactItems: [jobAction, ...puts] }));
      return { outcome: "written" };
    } catch (error) {
      const reason = error instanceof TransactionCanceledException ? error.CancellationReasons?.[0] : undefined;
      if (reason?.Code === "ConditionalCheckFailed") return { outcome: "refused", item: reason.Item };
      throw error;
    }
  }

  async list(q: LogListQuery, consistentRead = false): Promise<LogLine[]> {
    const lower = q.after && (!q.since || q.after >= q.since) ? { op: ">", ts: q.after } : q.since ? { op: ">=", ts: q.since } : undefined;
    // A sort key takes one condition: "after a, through b" is BETWEEN a + 1 µs AND b.
    const range = q.through
      ? `ts BETWEEN :from AND :through`
      : lower
        ? `ts ${lower.op} :ts`
        : undefined;
    const from = !lower ? MIN_TS : lower.op === ">" ? fromMicros(toMicros(lower.ts) + 1n) : lower.ts;
    const found: LogItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: `jobId = :jobId${range ? ` AND ${range}` : ""}`,
          FilterExpression: q.stream ? "#stream = :stream" : undefined,
          ExpressionAttributeNames: q.stream ? { "#stream": "stream" } : undefined,
          ExpressionAttributeValues: {
            ":jobId": q.jobId,
            ...(q.through ? { ":from": from, ":through": q.through } : lower ? { ":ts": lower.ts } : {}),
            ...(q.stream ? { ":stream": q.stream } : {}),
          },
          ConsistentRead: consistentRead,
          Limit: q.limit - found.length,
          ExclusiveStartKey: startKey,
        }),
      );
      found.push(...((out.Items ?? []) as LogItem[]));
      startKey = out.LastEvaluatedKey;
    } while (startKey && found.length < q.limit);
    return found.map(toLogLine);
  }

  /**
   * The ts of the job's last stored line (strongly consistent), or null. Only
   * appends to a job whose item has no log claim yet need it: lines written
   * before claims existed.
   */
  async lastTs(jobId: string): Promise<string | null> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "jobId = :jobId",
        ExpressionAttributeValues: { ":jobId": jobId },
        ProjectionExpression: "ts",
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    return item ? String(item.ts) : null;
  }
}
