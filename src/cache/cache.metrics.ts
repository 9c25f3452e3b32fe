// What the cache reports about itself. The cache reader, writer and purge call
// this interface; createCacheMetrics backs it with Prometheus metrics in the
// app's registry (served at GET /metrics), noopCacheMetrics with nothing.
import { Counter, Gauge, type Registry } from "prom-client";

export type CacheTable = "jobs" | "job_logs";

/** Why a read went to DynamoDB: the rows were not cached, or Postgres could not answer. */
export type CacheMissReason = "absent" | "unavailable";

export interface PurgeCounts {
  jobs: number;
  jobLogs: number;
}

export interface CacheMetrics {
  /** A read answered by the cache. */
  hit(table: CacheTable): void;
  /** A read the cache could not answer; DynamoDB answered it. */
  miss(table: CacheTable, reason?: CacheMissReason): void;
  /** Rows written into the cache after a miss (read-through). */
  backfilled(table: CacheTable, rows: number): void;
  /** Rows written into the cache after a DynamoDB write (write-through). */
  written(table: CacheTable, rows: number): void;
  /** Rows whose cache write failed (they stay pending and are retried or caught up). */
  writeFailed(table: CacheTable, rows: number): void;
  /** Rows accepted by DynamoDB and not yet in the cache, now. */
  setPendingWrites(rows: number): void;
  /** One purge run: removed rows, or skipped because another purge held the lock, or failed. */
  purged(outcome: "done" | "skipped" | "failed", counts?: PurgeCounts): void;
}

export function createCacheMetrics(registry: Registry): CacheMetrics {
  const registers = [registry];
  const hits = new Counter({ name: "cache_hits_total", help: "Reads answered by the Postgres cache.", labelNames: ["table"], registers });
  const misses = new Counter({
    name: "cache_misses_total",
    help: "Reads the Postgres cache could not answer (absent rows, or Postgres unavailable); DynamoDB answered.",
    labelNames: ["table", "reason"],
    registers,
  });
  const backfills = new Counter({
    name: "cache_backfill_rows_total",
    help: "Rows written into the cache after a miss (read-through).",
    labelNames: ["table"],
    registers,
  });
  const written = new Counter({
    name: "cache_written_rows_total",
    help: "Rows written into the cache after a DynamoDB write (write-through).",
    labelNames: ["table"],
    registers,
  });
  const failures = new Counter({
    name: "cache_write_failures_total",
    help: "Rows whose cache write failed; they are retried or caught up later.",
    labelNames: ["table"],
    registers,
  });
  const pending = new Gauge({
    name: "cache_pending_writes",
    help: "Rows stored in DynamoDB and not yet written to the cache.",
    registers,
  });
  const purgeRuns = new Counter({
    name: "cache_purge_runs_total",
    help: "Cache purge runs by outcome (skipped: another purge held the lock).",
    labelNames: ["outcome"],
    registers,
  });
  const purgedRows = new Counter({
    name: "cache_purge_rows_total",
    help: "Rows removed from the cache by the purge.",
    labelNames: ["table"],
    registers,
  });
  // Series that exist from the start, so a rate() over them is 0 rather than absent.
  for (const table of ["jobs", "job_logs"] as const) {
    hits.inc({ table }, 0);
    backfills.inc({ table }, 0);
    written.inc({ table }, 0);
    failures.inc({ table }, 0);
    purgedRows.inc({ table }, 0);
    for (const reason of ["absent", "unavailable"] as const) misses.inc({ table, reason }, 0);
  }
  pending.set(0);

  return {
    hit: (table) => hits.inc({ table }),
    miss: (table, reason = "absent") => misses.inc({ table, reason }),
    backfilled: (table, rows) => backfills.inc({ table }, rows),
    written: (table, rows) => written.inc({ table }, rows),
    writeFailed: (table, rows) => failures.inc({ table }, rows),
    setPendingWrites: (rows) => pending.set(rows),
    purged: (outcome, counts) => {
      purgeRuns.inc({ outcome });
      if (counts) {
        purgedRows.inc({ table: "jobs" }, counts.jobs);
        purgedRows.inc({ table: "job_logs" }, counts.jobLogs);
      }
    },
  };
}

/** For code that runs outside the server (scripts) or tests that do not look. */
export const noopCacheMetrics: CacheMetrics = {
  hit: () => undefined,
  miss: () => undefined,
  backfilled: () => undefined,
  written: () => undefined,
  writeFailed: () => undefined,
  setPendingWrites: () => undefined,
  purged: () => undefined,
};
