// Every call the server makes to a store, observed on the real clients: a
// DynamoDB middleware (one event per command, retries included in its
// duration) and a Prisma query extension (one event per Prisma operation).
// Metrics subscribe to it; tests read its counts to see which store answered.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

export type StoreName = "postgres" | "dynamodb";

export interface StoreCall {
  store: StoreName;
  /** DynamoDB: the API operation ("PutItem", "Query"). Postgres: "<Model>.<operation>" or "$queryRaw". */
  operation: string;
  durationSeconds: number;
  ok: boolean;
  /** DynamoDB only: attempts the SDK made (1 = no retry). */
  attempts?: number;
}

export type StoreCallListener = (call: StoreCall) => void;

export class StoreCallTracker {
  private readonly listeners = new Set<StoreCallListener>();
  private readonly counts = new Map<string, number>();

  record(call: StoreCall): void {
    const key = `${call.store}:${call.operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    for (const listener of this.listeners) listener(call);
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: StoreCallListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls made so far to a store, or to one of its operations. */
  count(store: StoreName, operation?: string): number {
    if (operation !== undefined) return this.counts.get(`${store}:${operation}`) ?? 0;
    let total = 0;
    for (const [key, n] of this.counts) if (key.startsWith(`${store}:`)) total += n;
    return total;
  }

  /** Counts by "store:operation", e.g. { "dynamodb:PutItem": 2 }. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

const DYNAMO_MIDDLEWARE = "storeCallTracking";

/**
 * Observes every command sent through `raw` (and the document clients built
 * on it, which share its middleware stack). It sits outermost, so a command
 * retried by the SDK is one call whose duration includes the retries.
 */
export function trackDynamo(raw: DynamoDBClient, tracker: StoreCallTracker): void {
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? "Unknown").replace(/Command$/, "");
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const result = await next(args);
        const attempts = (result.output as { $metadata?: { attempts?: number } }).$metadata?.attempts;
        tracker.record({ store: "dynamodb", operation, durationSeconds: seconds(), ok: true, attempts });
        return result;
      } catch (error) {
        const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts;
        tracker.record({ store: "dynamodb", operation, durationSeconds: seconds(), ok: false, attempts });
        throw error;
      }
    },
    { step: "initialize", priority: "high", name: DYNAMO_MIDDLEWARE, override: true },
  );
}
