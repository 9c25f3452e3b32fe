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
//
// Known gap, closed by the durable catch-up (DynamoDB Streams) that follows:
// writes another process made, or that a process lost by crashing before its
// flush, are invisible to rule 2.
import type { Logger } from "../infra/logger";

export const DAY_MS = 86_400_000;

export function cacheHorizon(ttlDays: number, now = Date.now()): Date {
  return new Date(now - ttlDays * DAY_MS);
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
