// Log lines live in DynamoDB (authoritative): one item per line, key jobId + ts.
// ts is a fixed-width microsecond string, so the sort key's order is time order.
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { LogClaimGuard } from "../jobs/job.repository.js";
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

/** TransactWriteItems takes 100 actions: the claim's guard and 99 lines. */
const LINES_PER_WRITE = 99;

/** "fenced": the claim's guard refused a write (the claim was taken over); what came before it is stored. */
export type AppendOutcome = { outcome: "written" } | { outcome: "fenced" };

export class LogLineRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Stores lines in order, 99 per TransactWriteItems, each transaction with
   * `guard()` (the claim check on the job's item): a chunk is stored whole and
   * only while the claim holds, or not at all. `onWritten(n)` after each
   * stored chunk, so a caller that fails half way knows what was stored.
   */
  async append(lines: LogLine[], guard: LogClaimGuard, onWritten: (count: number) => void = () => {}): Promise<AppendOutcome> {
    for (let i = 0; i < lines.length; i += LINES_PER_WRITE) {
      const chunk = lines.slice(i, i + LINES_PER_WRITE);
      const puts = chunk.map((l) => ({ Put: { TableName: this.table, Item: { jobId: l.jobId, ts: l.ts, stream: l.stream, data: l.data } } }));
      try {
        // A cancellation by a concurrent write to the job's item is retried by the client (retry.ts).
        await this.doc.send(new TransactWriteCommand({ TransactItems: [guard(), ...puts] }));
      } catch (error) {
        if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === "ConditionalCheckFailed") {
          return { outcome: "fenced" };
        }
        throw error;
      }
      onWritten(chunk.length);
    }
    return { outcome: "written" };
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
