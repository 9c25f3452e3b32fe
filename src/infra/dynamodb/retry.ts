// How the DynamoDB client retries throttling and 5xx answers: exponential
// backoff with full jitter, at most `maxAttempts` attempts, and never an
// attempt that could not finish inside `totalBudgetMs` from the first one, so
// a request fails within a known time instead of waiting out a long outage.
// A retry quota (the SDK standard strategy's token bucket) stops a client from
// multiplying its load by maxAttempts while DynamoDB is struggling.
//
// Implements the SDK's RetryStrategyV2 (acquire / refresh / recordSuccess);
// the SDK's retry middleware classifies each error as THROTTLING, TRANSIENT
// (timeouts, connection resets, 500/502/503/504), SERVER_ERROR or CLIENT_ERROR.

export interface RetryPolicy {
  maxAttempts: number;
  /** Wall time from the first attempt within which every attempt must end (given attemptTimeoutMs). */
  totalBudgetMs: number;
  /** The longest one attempt may take (the HTTP handler's request timeout). */
  attemptTimeoutMs: number;
  /** Backoff ceiling before the n-th retry: base * 2^n, capped; the delay is uniform in [0, ceiling). */
  baseDelayMs: number;
  /** Throttling backs off harder: DynamoDB is asking for less traffic. */
  throttlingBaseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  totalBudgetMs: 8_000,
  attemptTimeoutMs: 3_000,
  baseDelayMs: 25,
  throttlingBaseDelayMs: 100,
  maxDelayMs: 1_000,
};

type ErrorType = "THROTTLING" | "TRANSIENT" | "SERVER_ERROR" | "CLIENT_ERROR";

interface RetryErrorInfo {
  errorType: ErrorType;
  retryAfterHint?: Date;
  error?: unknown;
}

/**
 * A write that met a transaction in flight on the same item, or a
 * transaction cancelled only by such a meeting: nothing was written, and the
 * same request succeeds once the other is done. The SDK calls both client
 * errors; here they are transient. Log appends make them likely: each guarded
 * line write checks the job's item while claims, releases and renewals update
 * it (JobRepository.logClaimGuard).
 */
function isTransactionConflict(error: unknown): boolean {
  const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> } | undefined;
  if (e?.name === "TransactionConflictException") return true;
  const reasons = e?.name === "TransactionCanceledException" ? (e.CancellationReasons ?? []) : [];
  return reasons.some((r) => r.Code === "TransactionConflict") && reasons.every((r) => !r.Code || r.Code === "None" || r.Code === "TransactionConflict");
}

const QUOTA_CAPACITY = 500;
const RETRY_COST = 5;
const SUCCESS_REFUND = 1;

class BoundedRetryToken {
  constructor(
    readonly startedAt: number,
    private readonly count: number,
    private readonly delay: number,
    readonly cost: number,
  ) {}

  getRetryCount(): number {
    return this.count;
  }

  getRetryDelay(): number {
    return this.delay;
  }
}

export class BoundedRetryStrategy {
  readonly mode = "standard";
  private capacity = QUOTA_CAPACITY;

  constructor(
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  async acquireInitialRetryToken(_scope: string): Promise<BoundedRetryToken> {
    return new BoundedRetryToken(this.now(), 0, 0, 0);
  }

  /**
   * The SDK sleeps getRetryDelay() of the returned token, then tries again.
   * Throwing refuses the retry; the SDK then rethrows the last error.
   */
  async refreshRetryTokenForRetry(token: BoundedRetryToken, info: RetryErrorInfo): Promise<BoundedRetryToken> {
    const { policy } = this;
    const retries = token.getRetryCount();
    const errorType = isTransactionConflict(info.error) ? "TRANSIENT" : info.errorType;
    if (errorType !== "THROTTLING" && errorType !== "TRANSIENT") throw new Error("not retryable");
    if (retries + 1 >= policy.maxAttempts) throw new Error("attempts exhausted");
    if (this.capacity < RETRY_COST) throw new Error("retry quota exhausted");

    const base = errorType === "THROTTLING" ? policy.throttlingBaseDelayMs : policy.baseDelayMs;
    let delay = Math.floor(Math.random() * Math.min(policy.maxDelayMs, base * 2 ** retries));
    if (info.retryAfterHint) delay = Math.max(delay, info.retryAfterHint.getTime() - this.now());
    const elapsed = this.now() - token.startedAt;
    if (elapsed + delay + policy.attemptTimeoutMs > policy.totalBudgetMs) throw new Error("retry budget exhausted");

    this.capacity -= RETRY_COST;
    return new BoundedRetryToken(token.startedAt, retries + 1, delay, RETRY_COST);
  }

  recordSuccess(token: BoundedRetryToken): void {
    this.capacity = Math.min(QUOTA_CAPACITY, this.capacity + (token.cost || SUCCESS_REFUND));
  }
}
