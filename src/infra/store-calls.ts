// The calls each store actually receives, observed on the real clients:
// - DynamoDB: a middleware, outermost in the command's stack, so one event per
//   command sent (SDK retries are not recounted: they show in `attempts`, and
//   in the duration), with the final outcome;
// - PostgreSQL: Prisma's query events (one per SQL statement that ran, with
//   the engine's duration; createPrisma turns them on), and the same events
//   for the reads queryPrepared() runs on the driver. Neither reports a
//   statement that failed.
// Metrics subscribe a listener (src/metrics/metrics.ts); tests count with
// StoreCallCounter to see which store answered and how often.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { onPreparedRead, type PrismaClient, type QueryEvent } from "./postgres/prisma.js";

export type StoreName = "dynamodb" | "postgres";

export interface StoreCall {
  store: StoreName;
  /** DynamoDB: the API operation (e.g. "BatchGetItem"). Postgres: the SQL verb (e.g. "SELECT"). */
  operation: string;
  /** DynamoDB: the table(s) named in the input. Postgres: the SQL text. */
  detail: string;
  durationSeconds: number;
  /** False when the command failed after the SDK's retries (DynamoDB only). */
  ok: boolean;
  /** DynamoDB: attempts the SDK made (1 = not retried). */
  attempts?: number;
}

export type StoreCallListener = (call: StoreCall) => void;

const MIDDLEWARE_NAME = "storeCallObserver";

interface DynamoInput {
  TableName?: string;
  RequestItems?: Record<string, unknown>;
  TransactItems?: Array<Record<string, { TableName?: string } | undefined>>;
}

function tablesOf(input: DynamoInput): string {
  if (input.TableName) return input.TableName;
  if (input.RequestItems) return Object.keys(input.RequestItems).join(",");
  const names = new Set((input.TransactItems ?? []).flatMap((item) => Object.values(item).map((op) => op?.TableName ?? "")));
  return [...names].filter(Boolean).join(",");
}

const attemptsOf = (value: unknown) => (value as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts;

/** Sends every call made through the clients to `listener`. Returns a detach function. */
export function observeStoreCalls(
  clients: { dynamo?: DynamoDBClient; prisma?: PrismaClient },
  listener: StoreCallListener,
): () => void {
  let attached = true;
  const detach: Array<() => void> = [];
  if (clients.dynamo) {
    const name = `${MIDDLEWARE_NAME}-${Math.random().toString(36).slice(2)}`;
    clients.dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        if (!attached) return next(args);
        const operation = (context.commandName ?? "unknown").replace(/Command$/, "");
        const detail = tablesOf((args.input ?? {}) as DynamoInput);
        const started = process.hrtime.bigint();
        const report = (ok: boolean, attempts: number | undefined) =>
          listener({ store: "dynamodb", operation, detail, ok, attempts, durationSeconds: Number(process.hrtime.bigint() - started) / 1e9 });
        try {
          const result = await next(args);
          report(true, attemptsOf(result.output));
          return result;
        } catch (error) {
          report(false, attemptsOf(error) ?? attemptsOf((error as { cause?: unknown }).cause));
          throw error;
        }
      },
      { step: "initialize", priority: "high", name },
    );
    detach.push(() => clients.dynamo!.middlewareStack.remove(name));
  }
  if (clients.prisma) {
    const report = (event: QueryEvent) => {
      if (!attached) return;
      const sql = event.query.trim();
      listener({
        store: "postgres",
        // The verb after any leading comment.
        operation: (/^(?:\/\*[\s\S]*?\*\/\s*)*(\w+)/.exec(sql)?.[1] ?? "SQL").toUpperCase(),
        detail: sql,
        durationSeconds: event.duration / 1000,
        ok: true,
      });
    };
    // Prisma offers no way to remove an event handler, so detaching only mutes it.
    (clients.prisma as unknown as { $on(event: "query", cb: (e: QueryEvent) => void): void }).$on("query", report);
    detach.push(onPreparedRead(clients.prisma, report));
  }
  return () => {
    attached = false;
    detach.forEach((fn) => fn());
  };
}

/** A counter over observeStoreCalls, for tests and diagnostics. */
export class StoreCallCounter {
  readonly calls: StoreCall[] = [];
  private readonly detachFn: () => void;

  constructor(clients: { dynamo?: DynamoDBClient; prisma?: PrismaClient }) {
    this.detachFn = observeStoreCalls(clients, (call) => this.calls.push(call));
  }

  reset(): void {
    this.calls.length = 0;
  }

  /** Calls to `store`, optionally only those of one operation and/or whose detail matches. */
  count(store: StoreName, operation?: string, detail?: RegExp): number {
    return this.calls.filter(
      (c) => c.store === store && (!operation || c.operation === operation) && (!detail || detail.test(c.detail)),
    ).length;
  }

  detach(): void {
    this.detachFn();
  }
}
