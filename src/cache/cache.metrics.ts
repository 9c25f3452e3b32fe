// What the cache reports about itself. The cache reader, writer and purge call
// this interface; createCacheMetrics backs it with Prometheus metrics in the
// app's registry (served at GET /metrics), noopCacheMetrics with nothing.
import { Counter, Gauge, type Registry } from "prom-client";
import type { CacheWriter } from "./cache-writer.js";

export type CacheTable = "jobs" | "job_logs";

/**
 * Why a read went to DynamoDB: the rows were not cached (absent), Postgres
 * could not answer (unavailable), this process has writes for them still
 * queued (pending), or the stream catch-up is too far behind (lagging).
 */
export type CacheMissReason = "absent" | "unavailable" | "pending" | "lagging";
const MISS_REASONS: CacheMissReason[] = ["absent", "unavailable", "pending", "lagging"];

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
  /** Rows written into the cache (write-through, backfill or stream catch-up). */
  written(table: CacheTable, rows: number): void;
  /** Rows whose cache write failed (they stay pending and are retried or caught up). */
  writeFailed(table: CacheTable, rows: number): void;
  /** Stream records the catch-up applied. */
  streamRecords(table: CacheTable, records: number): void;
  /**
   * Where the gauges read from at each scrape: rows accepted by DynamoDB and
   * queued for the cache; how far behind the stream catch-up is (Infinity:
   * unknown); whether this instance is the consumer.
   */
  observe(sources: { pendingWrites?: () => number; streamLagMs?: () => number; streamLeader?: () => boolean }): void;
  /** One purge run: removed rows, or skipped because another purge held the lock, or failed. */
  purged(outcome: "done" | "skipped" | "failed", counts?: PurgeCounts): void;
}

export function createCacheMetrics(registry: Registry): CacheMetrics {
  const registers = [registry];
  const hits = new Counter({ name: "cache_hits_total", help: "Reads answered by the Postgres cache.", labelNames: ["table"], registers });
  const misses = new Counter({
    name: "cache_misses_total",
    help: "Reads the Postgres cache did not answer, by reason (absent, unavailable, pending writes, lagging catch-up); DynamoDB answered.",
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
    help: "Rows written into the cache (write-through, read-through backfill, stream catch-up).",
    labelNames: ["table"],
    registers,
  });
  const failures = new Counter({
    name: "cache_write_failures_total",
    help: "Rows whose cache write failed; they are retried or caught up later.",
    labelNames: ["table"],
    registers,
  });
  const sources: { pendingWrites?: () => number; streamLagMs?: () => number; streamLeader?: () => boolean } = {};
  new Gauge({
    name: "cache_pending_writes",
    help: "Rows this process stored in DynamoDB and has not yet written to the cache (queued or being flushed).",
    registers,
    collect() {
      this.set(sources.pendingWrites?.() ?? 0);
    },
  });
  const streamRecords = new Counter({
    name: "cache_stream_records_total",
    help: "DynamoDB Stream records the catch-up applied to the cache.",
    labelNames: ["table"],
    registers,
  });
  new Gauge({
    name: "cache_stream_lag_seconds",
    help: "Time since the stream catch-up was last at the tip of every shard with all it read cached (+Inf: unknown, e.g. replaying or PostgreSQL down).",
    registers,
    collect() {
      const lag = sources.streamLagMs?.();
      this.set(lag === undefined ? Number.POSITIVE_INFINITY : lag / 1000);
    },
  });
  new Gauge({
    name: "cache_stream_leader",
    help: "1 when this instance is the one consuming the DynamoDB Streams.",
    registers,
    collect() {
      this.set(sources.streamLeader?.() ? 1 : 0);
    },
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
    streamRecords.inc({ table }, 0);
    for (const reason of MISS_REASONS) misses.inc({ table, reason }, 0);
  }

  return {
    hit: (table) => hits.inc({ table }),
    miss: (table, reason = "absent") => misses.inc({ table, reason }),
    backfilled: (table, rows) => backfills.inc({ table }, rows),
    written: (table, rows) => written.inc({ table }, rows),
    writeFailed: (table, rows) => failures.inc({ table }, rows),
    streamRecords: (table, records) => streamRecords.inc({ table }, records),
    observe: (next) => Object.assign(sources, next),
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
  streamRecords: () => undefined,
  observe: () => undefined,
  purged: () => undefined,
};

/** The writer's events and queue size as metrics: written rows, failed and dropped rows, pending writes. */
export function reportCacheWriter(writer: CacheWriter, metrics: CacheMetrics): void {
  writer.on("flushed", ({ jobs, lines }) => {
    metrics.written("jobs", jobs);
    metrics.written("job_logs", lines);
  });
  // A failed flush is retried (its rows count again if it fails again); dropped rows are left to the catch-up.
  const failed = ({ jobs, lines }: { jobs: number; lines: number }) => {
    metrics.writeFailed("jobs", jobs);
    metrics.writeFailed("job_logs", lines);
  };
  writer.on("failed", failed);
  writer.on("dropped", failed);
  metrics.observe({
    pendingWrites: () => {
      const s = writer.stats();
      return s.pendingJobs + s.pendingLines + s.inflightJobs + s.inflightLines;
    },
  });
}
