import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface DynamoConnection {
  /** Unset: the SDK's default endpoint for awsRegion (real AWS). */
  endpoint?: string;
  region?: string;
}

export interface Dynamo {
  raw: DynamoDBClient;
  doc: DynamoDBDocumentClient;
}

export function createDynamo({ endpoint, region }: DynamoConnection): Dynamo {
  const raw = new DynamoDBClient({
    region: region ?? "local",
    ...(endpoint
      ? {
          endpoint,
          // DynamoDB Local accepts any credentials; real AWS uses the SDK's default chain.
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
        }
      : {}),
    // Throttling and 5xx answers are retried by the SDK with backoff and jitter.
    retryMode: "adaptive",
    maxAttempts: 5,
  });
  const doc = DynamoDBDocumentClient.from(raw, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  return { raw, doc };
}
