// When the cache may answer a read, and how a read falls back to DynamoDB.
//
// The rule (why a cache answer is complete, not merely present):
//
// 1. Horizon. The cache keeps rows for CACHE_TTL_DAYS and the purge deletes
//    older ones, so it is trusted only for jobs started at or after
//    horizon = now - CACHE_TTL_DAYS (fixed once per read). A list reads the
//    cache for startedAt >= horizon and continues in DynamoDB strictly below
//    the horizon when the cache returned less than a page, so no row is served
//    twice or skipped at the seam; a cursor below the horizon reads DynamoDB
//    only. A job's logs are read from the cache only when the job started at or
//    after the horizon (its lines were cached after it started, so the purge,
//    which deletes by age, has not touched them).
// 2. Nothing in flight. Whatever this process wrote to DynamoDB and has not
//    yet flushed (CacheWriter's queue and in-flight batch) is not in the cache:
//    a list is served by the cache only when no queued job matches it, and a
//    job's logs only when none of its lines are queued, being backfilled, or
//    were ever dropped. After a dropped write (queue overflow) lists skip the
//    cache until a catch-up calls CacheWriter.markCaughtUp().
// 3. Misses. job(id): a missing row is a miss → DynamoDB, then the job and
//    all its lines are backfilled together (CacheBackfill), so a cached job
//    row always comes with its lines. logs: a missing job row is a miss, the
//    same way; a cached job with no lines is a complete, empty answer.
// 4. Failures. Any error from Postgres is logged and the read goes to DynamoDB.
// 5. Other writers. Writes another instance made, or that a process lost by
//    crashing before its flush, reach the cache through the DynamoDB Streams
//    catch-up (cache-stream.ts), not through this process's queue. With the
//    stream on (CACHE_STREAM, the default), every cache read (job, lists,
//    logs) first asks CacheReads.current(): the catch-up's lag, as this
//    instance knows it, is at most CACHE_STREAM_MAX_LAG_MS. Otherwise
//    (replaying after a start or a takeover, no consumer, Postgres down) the
//    read goes to DynamoDB.
//
// So a cache answer holds every write this process made (rule 2) and every
// write anyone made more than lagMs before it (rule 5, at most
// CACHE_STREAM_MAX_LAG_MS, 5 s by default): that window, for other instances'
// and crashed processes' writes, is the whole of what is eventually
// consistent. `consistency: STRONG` reads DynamoDB directly. With
// CACHE_STREAM=off rule 5 is skipped, and other writers' rows are not covered
// at all: one instance only (tests).
import type { Logger } from "../infra/logger.js";
import type { CacheMetrics, CacheMissReason, CacheTable } from "./cache.metrics.js";

export const DAY_MS = 86_400_000;

export function cacheHorizon(ttlDays: number, now = Date.now()): Date {
  return new Date(now - ttlDays * DAY_MS);
}

/**
 * The services' one hook into the cache's read side: whether the cache may
 * answer at all (rule 5), the read itself with rule 4, and hit/miss counts.
 */
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
