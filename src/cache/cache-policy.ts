// The gate every cache read passes (rules 4 and 5 of job-reads.ts): whether
// the stream catch-up is recent enough for the cache to answer, the read with
// Postgres failures turned into "go to DynamoDB", and hit/miss counts. The
// other rules (horizon, nothing in flight, misses) are applied by JobReads.
import type { Logger } from "../infra/logger.js";
import type { CacheMetrics, CacheMissReason, CacheTable } from "./cache.metrics.js";

export const DAY_MS = 86_400_000;

export function cacheHorizon(ttlDays: number, now = Date.now()): Date {
  return new Date(now - ttlDays * DAY_MS);
}

/** Whether the cache may answer at all (rule 5), the read itself with rule 4, and hit/miss counts. */
export class CacheReads {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: CacheMetrics,
    /** The stream catch-up's lag in ms as this instance knows it; unset: the stream is off (rule 5 skipped). */
    private readonly streamLagMs?: () => number,
    private readonly maxLagMs = 5_000,
  ) {}

  /** Whether the catch-up is recent enough for the cache to answer. */
  current(): boolean {
    return !this.streamLagMs || this.streamLagMs() <= this.maxLagMs;
  }

  /**
   * Runs a cache read when the cache may answer; undefined when it may not or
   * Postgres failed (the caller goes to DynamoDB). `answered` says whether the
   * result is a hit (default: not null).
   */
  async read<T>(table: CacheTable, what: string, read: () => Promise<T>, answered: (result: T) => boolean = (r) => r !== null): Promise<T | undefined> {
    if (!this.current()) {
      this.metrics.miss(table, "lagging");
      return undefined;
    }
    const result = await tryCache(this.logger, what, read);
    if (result === undefined) this.metrics.miss(table, "unavailable");
    else if (answered(result)) this.metrics.hit(table);
    else this.metrics.miss(table, "absent");
    return result;
  }

  /** A hit answered by another table's read (a job's lines read with its row). */
  served(table: CacheTable): void {
    this.metrics.hit(table);
  }

  /** A read the cache was not asked for (this process still has matching writes queued). */
  skipped(table: CacheTable, reason: CacheMissReason = "pending"): void {
    this.metrics.miss(table, reason);
  }
}

/** Runs a cache read; on any Postgres error logs it and answers undefined (the caller goes to DynamoDB). */
export async function tryCache<T>(logger: Logger, what: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    logger.warn({ err: error, read: what }, "cache read failed; reading DynamoDB");
    return undefined;
  }
}
