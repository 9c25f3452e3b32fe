// Fault injection around a real DynamoDB client: a middleware just above the
// HTTP handler answers chosen commands with the HTTP error DynamoDB itself
// would send, so the SDK's real deserializer, retry strategy and error mapping
// all run. Everything else reaches DynamoDB Local untouched.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

export type DynamoFault = "throttle" | "internal-error" | "unavailable" | "transaction-conflict" | "cancelled-by-conflict" | "answer-lost";

interface FaultyAnswer {
  statusCode: number;
  type: string;
  message: string;
  body?: Record<string, unknown>;
  /** The request reaches DynamoDB Local and is carried out; only its answer is replaced. */
  delivered?: boolean;
}

const ANSWERS: Record<DynamoFault, FaultyAnswer> = {
  throttle: {
    statusCode: 400,
    type: "ProvisionedThroughputExceededException",
    message: "The level of configured provisioned throughput for the table was exceeded.",
  },
  "internal-error": { statusCode: 500, type: "InternalServerError", message: "Internal server error" },
  unavailable: { statusCode: 503, type: "ServiceUnavailable", message: "Service unavailable" },
  // A plain write that met a transaction in flight on its item.
  "transaction-conflict": {
    statusCode: 400,
    type: "TransactionConflictException",
    message: "Transaction is ongoing for the item",
  },
  // A transaction cancelled because another write touched its first item at the same moment.
  "cancelled-by-conflict": {
    statusCode: 400,
    type: "TransactionCanceledException",
    message: "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]",
    body: { CancellationReasons: [{ Code: "TransactionConflict", Message: "Transaction is ongoing for the item" }, { Code: "None" }] },
  },
  // The write was carried out but its answer did not come back: DynamoDB's
  // 500 means "the operation may or may not have succeeded", as a timeout or a
  // dropped connection after the request went out would.
  "answer-lost": { statusCode: 500, type: "InternalServerError", message: "Internal server error", delivered: true },
};

export interface DynamoFaultHandle {
  /** Faulty answers given so far. */
  readonly injected: number;
  /** Requests of the chosen operation that reached DynamoDB and kept their answer. */
  readonly passed: number;
  remove(): void;
}

let sequence = 0;

/**
 * After the first `after` requests of `operation` (e.g. "PutItem"; default 0)
 * pass, the next `times` fail with `fault` (Infinity: all of them); later ones
 * pass. Counts requests, so SDK retries count.
 */
export function injectDynamoFault(
  raw: DynamoDBClient,
  options: { operation: string; fault: DynamoFault; times: number; after?: number },
): DynamoFaultHandle {
  const name = `faultInjection${++sequence}`;
  const answer = ANSWERS[options.fault];
  const state = { injected: 0, passed: 0 };
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== `${options.operation}Command`) return next(args);
      if (state.passed < (options.after ?? 0) && state.injected === 0) {
        state.passed++;
        return next(args);
      }
      if (state.injected >= options.times) {
        state.passed++;
        return next(args);
      }
      state.injected++;
      if (answer.delivered) {
        const delivered = await next(args);
        (delivered.response as { body?: { resume?: () => void } }).body?.resume?.(); // drained, so the socket is free again
      }
      const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${answer.type}`, message: answer.message, ...answer.body });
      return {
        response: {
          statusCode: answer.statusCode,
          reason: answer.type,
          headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": `fault-${state.injected}` },
          body: new TextEncoder().encode(body),
        },
        output: undefined as never,
      };
    },
    // Innermost: below the retry middleware and the deserializer, where the HTTP request goes out.
    { step: "deserialize", priority: "low", name },
  );
  return {
    get injected() {
      return state.injected;
    },
    get passed() {
      return state.passed;
    },
    remove: () => void raw.middlewareStack.remove(name),
  };
}

/**
 * Runs `action` once, just before the next request of `operation` goes out
 * (after `after` of them have passed), and lets that request go on when it is
 * done: another writer's call landing between two of ours. Requests `action`
 * makes through the same client pass untouched.
 */
export function beforeDynamoRequest(raw: DynamoDBClient, options: { operation: string; after?: number }, action: () => Promise<unknown>): { readonly ran: boolean; remove(): void } {
  const name = `interposer${++sequence}`;
  const state = { seen: 0, ran: false };
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== `${options.operation}Command` || state.ran || state.seen++ < (options.after ?? 0)) return next(args);
      state.ran = true;
      await action();
      return next(args);
    },
    { step: "deserialize", priority: "low", name },
  );
  return {
    get ran() {
      return state.ran;
    },
    remove: () => void raw.middlewareStack.remove(name),
  };
}
