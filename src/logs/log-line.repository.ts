// Log lines live in DynamoDB (authoritative): one item per line, key jobId + ts.
// ts is a fixed-width microsecond string, so the sort key's order is time order.
import { QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { batchPutAll } from "../infra/dynamodb/batch-write.js";
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
  stream?: LogStream;
  limit: number;
}

export class LogLineRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** BatchWriteItem in chunks of 25; `onWritten(n)` after each chunk is stored. */
  async append(lines: LogLine[], onWritten?: (count: number) => void): Promise<void> {
    await batchPutAll(
      this.doc,
      this.table,
      lines.map((l) => ({ jobId: l.jobId, ts: l.ts, stream: l.stream, data: l.data })),
      onWritten,
    );
  }

  async list(q: LogListQuery, consistentRead = false): Promise<LogLine[]> {
    const lower = q.after && (!q.since || q.after >= q.since) ? { op: ">", ts: q.after } : q.since ? { op: ">=", ts: q.since } : undefined;
    const found: LogItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: `jobId = :jobId${lower ? ` AND ts ${lower.op} :ts` : ""}`,
          FilterExpression: q.stream ? "#stream = :stream" : undefined,
          ExpressionAttributeNames: q.stream ? { "#stream": "stream" } : undefined,
          ExpressionAttributeValues: { ":jobId": q.jobId, ...(lower ? { ":ts": lower.ts } : {}), ...(q.stream ? { ":stream": q.stream } : {}) },
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
