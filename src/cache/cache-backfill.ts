// Read-through backfill: after a cache miss served from DynamoDB, the job is
// written to the cache together with ALL of its lines (read from DynamoDB in
// the background), so a cached job row always comes with complete lines.
// Jobs with more lines than `maxLines` are not backfilled: they stay misses
// and keep reading DynamoDB, which is correct, only slower.
import type { Logger } from "../infra/logger.js";
import type { Job } from "../jobs/job.model.js";
import type { LogLineRepository } from "../logs/log-line.repository.js";
import type { LogLine } from "../logs/log-line.model.js";
import type { CacheWriter } from "./cache-writer.js";
import { noopCacheMetrics, type CacheMetrics } from "./cache.metrics.js";

const PAGE = 1_000;

export class CacheBackfill {
  private readonly running = new Set<string>();

  constructor(
    private readonly logs: LogLineRepository,
    private readonly writer: CacheWriter,
    private readonly logger: Logger,
    private readonly metrics: CacheMetrics = noopCacheMetrics,
    private readonly maxLines = 20_000,
  ) {}

  /** Fire and forget: never throws, never waits for Postgres. */
  job(job: Job): void {
    if (this.running.has(job.id)) return;
    this.running.add(job.id);
    this.writer.beginBackfill(job.id);
    void this.run(job)
      .catch((error) => this.logger.warn({ err: error, jobId: job.id }, "cache backfill failed"))
      .finally(() => {
        this.running.delete(job.id);
        this.writer.endBackfill(job.id);
      });
  }

  private async run(job: Job): Promise<void> {
    const lines: LogLine[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.logs.list({ jobId: job.id, after, limit: PAGE }, true);
      lines.push(...page);
      if (lines.length > this.maxLines) return;
      if (page.length < PAGE) break;
      after = page.at(-1)!.ts;
    }
    // Queued before endBackfill runs, so readers never see the job row without its lines.
    if (lines.length) this.writer.enqueueLines(job, lines);
    else this.writer.enqueueJobs([job]);
    this.metrics.backfilled("jobs", 1);
    this.metrics.backfilled("job_logs", lines.length);
  }
}
