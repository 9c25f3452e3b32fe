// The one place DynamoDB's "try again later" failures become an AppError.
// By the time an error gets here the SDK has already retried it (retry.ts);
// what is left means DynamoDB cannot serve us now, which the client should
// hear as SERVICE_UNAVAILABLE rather than as an internal error.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { AppError, ErrorCode } from "../../shared/errors.js";

const THROTTLING = new Set([
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "ThrottlingException",
  "LimitExceededException",
]);
const TRANSIENT_NAMES = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException", "InternalServerError", "ServiceUnavailable"]);
const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  CancellationReasons?: Array<{ Code?: string }>;
}

/** Throttled, a 5xx answer, a timeout or a network failure: DynamoDB is (for now) unavailable. */
export function isDynamoUnavailable(error: unknown): boolean {
  if (!error || typeof error !== "object" || error instanceof AppError) return false;
  const e = error as SdkErrorShape;
  if (e.name && (THROTTLING.has(e.name) || TRANSIENT_NAMES.has(e.name))) return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  // A transaction cancelled only because one of its items was throttled.
  if (e.name === "TransactionCanceledException" && e.CancellationReasons?.some((r) => r.Code === "ThrottlingError")) {
    return !e.CancellationReasons.some((r) => r.Code && r.Code !== "None" && r.Code !== "ThrottlingError");
  }
  return false;
}

export function dynamoUnavailable(cause: unknown): AppError {
  return new AppError(ErrorCode.SERVICE_UNAVAILABLE, "DynamoDB is unavailable, try again", [], { cause });
}

/** An unavailability error as AppError, anything else unchanged. */
export function classifyDynamoError(error: unknown): unknown {
  return isDynamoUnavailable(error) ? dynamoUnavailable(error) : error;
}

const ERROR_MIDDLEWARE = "dynamoUnavailableAsAppError";

/**
 * Applies classifyDynamoError to every command's final error (outside the
 * retry loop), so repositories and services need no handling of their own;
 * other errors (ConditionalCheckFailed, validation) pass through unchanged.
 */
export function mapDynamoErrors(raw: DynamoDBClient): void {
  raw.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw classifyDynamoError(error);
      }
    },
    { step: "initialize", priority: "high", name: ERROR_MIDDLEWARE, override: true },
  );
}
