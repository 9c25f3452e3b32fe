import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mapDynamoErrors } from "./errors.js";
import { BoundedRetryStrategy, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";

export interface DynamoConnection {
  /** Unset: the SDK's default endpoint for awsRegion (real AWS). */
  endpoint?: string;
  region?: string;
  retry?: Partial<RetryPolicy>;
}

export interface Dynamo {
  raw: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  /** DynamoDB Streams of the same account and endpoint (the cache's catch-up reads it). */
  streams: DynamoDBStreamsClient;
}

/** Connecting is local or in-region: a second is plenty, and a dead endpoint must not hold a request. */
const CONNECTION_TIMEOUT_MS = 1_000;

export function createDynamo({ endpoint, region, retry }: DynamoConnection): Dynamo {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...retry };
  const connection = {
    region: region ?? "local",
    ...(endpoint
      ? {
          // DynamoDB Local serves Streams on the same endpoint; real AWS has its own (the SDK's default).
          endpoint,
          // DynamoDB Local accepts any credentials; real AWS uses the SDK's default chain.
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
        }
      : {}),
  };
  const raw = new DynamoDBClient({
    ...connection,
    // Throttling, timeouts and 5xx answers are retried with jittered backoff
    // inside a total time bound (retry.ts); what still fails becomes
    // SERVICE_UNAVAILABLE (errors.ts).
    maxAttempts: policy.maxAttempts,
    retryStrategy: new BoundedRetryStrategy(policy),
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: policy.attemptTimeoutMs,
      // Without it a timed-out request only logs a warning and keeps waiting.
      throwOnRequestTimeout: true,
    },
  });
  mapDynamoErrors(raw);
  const doc = DynamoDBDocumentClient.from(raw, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  const streams = new DynamoDBStreamsClient({
    ...connection,
    maxAttempts: policy.maxAttempts,
    retryStrategy: new BoundedRetryStrategy(policy),
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: policy.attemptTimeoutMs, throwOnRequestTimeout: true },
  });
  return { raw, doc, streams };
}
