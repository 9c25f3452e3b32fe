// Counts the calls each store actually receives, observed on the real clients:
// a DynamoDB middleware (one count per command sent, named like
// "BatchGetItemCommand"; SDK retries of that command are not recounted) and
// Prisma's query events (one per SQL statement). Tests assert DataLoader
// batching with it; metrics subscribe a listener.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { PrismaClient } from "./postgres/prisma";

export type StoreName = "dynamodb" | "postgres";

export interface StoreCall {
  store: StoreName;
  /** DynamoDB: the command name without "Command" (e.g. "BatchGetItem"). Postgres: the SQL verb (e.g. "SELECT"). */
  operation: string;
  /** DynamoDB: the table(s) named in the input. Postgres: the SQL text. */
  detail: string;
}

export type StoreCallListener = (call: StoreCall) => void;

const MIDDLEWARE_NAME = "storeCallObserver";

interface QueryEvent {
  query: string;
}

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
        if (attached) {
          const input = (args.input ?? {}) as { TableName?: string; RequestItems?: Record<string, unknown>; TransactItems?: unknown[] };
          const tables = input.TableName ?? Object.keys(input.RequestItems ?? {}).join(",");
          listener({ store: "dynamodb", operation: (context.commandName ?? "unknown").replace(/Command$/, ""), detail: tables });
        }
        return next(args);
      },
      { step: "initialize", name },
    );
    detach.push(() => clients.dynamo!.middlewareStack.remove(name));
  }
  if (clients.prisma) {
    // Prisma offers no way to remove an event handler, so detaching only mutes it.
    (clients.prisma as unknown as { $on(event: "query", cb: (e: QueryEvent) => void): void }).$on("query", (event) => {
      if (!attached) return;
      const sql = event.query.trim();
      listener({ store: "postgres", operation: (/^\w+/.exec(sql)?.[0] ?? "SQL").toUpperCase(), detail: sql });
    });
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
