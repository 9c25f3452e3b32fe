// One Prometheus registry per app (never prom-client's global one, so several
// servers in one process, as in the tests, keep separate counts): process
// metrics, HTTP requests, store calls, and the cache's own metrics.
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import { createCacheMetrics, type CacheMetrics } from "../cache/cache.metrics.js";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { PrismaClient } from "../infra/postgres/prisma.js";
import { observeStoreCalls, type StoreCall } from "../infra/store-calls.js";

export interface HttpObservation {
  method: string;
  /** The route pattern, never the raw path (ids would explode the series). */
  route: string;
  status: number;
  durationSeconds: number;
}

export interface Metrics {
  registry: Registry;
  cache: CacheMetrics;
  observeHttp(observation: HttpObservation): void;
  observeStoreCall(call: StoreCall): void;
  /** A GraphQL operation run by the compiled executor: where it ran, and why (src/graphql/compiled-executor.ts). */
  observeGraphQLExecution(executor: string, route: string): void;
  /** Stops observing the store clients. */
  close(): void;
}

// Store calls are milliseconds when healthy and seconds when retried.
const STORE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** `clients`: the store clients whose calls are counted (none: no store metrics). */
export function createMetrics(clients: { dynamo?: DynamoDBClient; prisma?: PrismaClient } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests by method, route pattern and status.",
    labelNames: ["method", "route", "status"],
    registers,
  });
  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by method, route pattern and status.",
    labelNames: ["method", "route", "status"],
    buckets: HTTP_BUCKETS,
    registers,
  });
  const storeCalls = new Counter({
    name: "store_calls_total",
    help: "Calls to a store by operation and outcome (a DynamoDB call counts once however often the SDK retried it).",
    labelNames: ["store", "operation", "outcome"],
    registers,
  });
  const storeDuration = new Histogram({
    name: "store_call_duration_seconds",
    help: "Store call latency by store and operation, retries included.",
    labelNames: ["store", "operation"],
    buckets: STORE_BUCKETS,
    registers,
  });
  const storeRetries = new Counter({
    name: "store_call_retries_total",
    help: "Retries the DynamoDB SDK made (throttling, timeouts, 5xx) by operation.",
    labelNames: ["store", "operation"],
    registers,
  });

  const graphqlExecutions = new Counter({
    name: "graphql_executions_total",
    help: "GraphQL operations by executor (jit or graphql-js) and route (compiled, or why it fell back to graphql-js).",
    labelNames: ["executor", "route"],
    registers,
  });
  // Once a request: the labelled child is kept instead of hashing the labels each time.
  const executionChildren = new Map<string, { inc(): void }>();
  const observeGraphQLExecution = (executor: string, route: string) => {
    const key = `${executor} ${route}`;
    let child = executionChildren.get(key);
    if (!child) executionChildren.set(key, (child = graphqlExecutions.labels({ executor, route })));
    child.inc();
  };

  const observeStoreCall = (call: StoreCall) => {
    const { store, operation } = call;
    storeCalls.inc({ store, operation, outcome: call.ok ? "ok" : "error" });
    storeDuration.observe({ store, operation }, call.durationSeconds);
    if (call.attempts && call.attempts > 1) storeRetries.inc({ store, operation }, call.attempts - 1);
  };
  const detach = observeStoreCalls(clients, observeStoreCall);

  return {
    registry,
    cache: createCacheMetrics(registry),
    observeHttp: ({ method, route, status, durationSeconds }) => {
      const labels = { method, route, status: String(status) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, durationSeconds);
    },
    observeStoreCall,
    observeGraphQLExecution,
    close: detach,
  };
}
