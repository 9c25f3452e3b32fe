// Write-behind to the Postgres cache. Services enqueue what DynamoDB has just
// accepted; the writer flushes off the request path, in batches (multi-row
// upserts, jobs before lines), and retries with backoff while Postgres fails.
// Enqueueing never throws and never waits, so a failing Postgres never fails or
// slows a mutation.
//
// What is queued (or being flushed) is also what the cache does not yet hold:
// readers ask the writer before trusting the cache (see job-reads.ts).
import { EventEmitter } from "node:events";
import type { Logger } from "../infra/logger.js";
import { mergeJob, type Job } from "../jobs/job.model.js";
import type { LogLine } from "../logs/log-line.model.js";
import { CommittedRows } from "./committed-rows.js";
import type { JobCacheRepository, JobRows } from "./job-cache.repository.js";

export interface CacheWriterOptions {
  /** Most jobs / lines one flush writes (one transaction). */
  maxBatchJobs: number;
  maxBatchLines: number;
  /** Beyond this many queued lines (or jobs) the oldest are dropped and the cache is marked incomplete. */
  maxPendingLines: number;
  maxPendingJobs: number;
  /** Retry backoff while Postgres fails: base * 2^attempt with full jitter, capped. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_CACHE_WRITER_OPTIONS: CacheWriterOptions = {
  maxBatchJobs: 500,
  maxBatchLines: 5_000,
  maxPendingLines: 500_000,
  maxPendingJobs: 100_000,
  retryBaseMs: 100,
  retryMaxMs: 10_000,
};

export interface CacheWriterEvents {
  flushed: [{ jobs: number; lines: number }];
  /** A flush Postgres could not take (unreachable): its rows went back to the queue. */
  failed: [{ error: unknown; attempt: number; jobs: number; lines: number }];
  dropped: [{ jobs: number; lines: number }];
}

interface Batch {
  jobs: Map<string, Job>;
  lines: Map<string, Map<string, LogLine>>;
  lineCount: number;
}

const emptyBatch = (): Batch => ({ jobs: new Map(), lines: new Map(), lineCount: 0 });

const count = (rows: readonly JobRows[]) => ({ jobs: rows.filter((r) => r.job).length, lines: rows.reduce((n, r) => n + r.lines.length, 0) });

export class CacheWriter extends EventEmitter<CacheWriterEvents> {
  private readonly options: CacheWriterOptions;
  private pending: Batch = emptyBatch();
  /** The job rows lines belong to, so their foreign key holds whatever batch they land in. */
  private readonly lineJobs = new Map<string, Job>();
  private inflight: Batch = emptyBatch();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private attempt = 0;
  private closed = false;
  private waiters: Array<() => void> = [];
  /** Jobs whose cached lines are known to be incomplete (dropped, or being backfilled). */
  private readonly incompleteLogs = new Map<string, number>();
  private complete = true;
  /** What this writer's flushes have written: the cache stream leaves those records out (committed-rows.ts). */
  readonly committed = new CommittedRows();

  constructor(
    private readonly cache: JobCacheRepository,
    private readonly logger: Logger,
    options: Partial<CacheWriterOptions> = {},
  ) {
    super();
    this.options = { ...DEFAULT_CACHE_WRITER_OPTIONS, ...options };
  }

  /** Queues job rows (new, or a changed status). */
  enqueueJobs(jobs: Job[]): void {
    for (const job of jobs) this.pending.jobs.set(job.id, mergeJob(this.pending.jobs.get(job.id), job));
    this.afterEnqueue();
  }

  /** Queues lines of one job, with the job row they hang on. */
  enqueueLines(job: Job, lines: LogLine[]): void {
    this.lineJobs.set(job.id, mergeJob(this.lineJobs.get(job.id), job));
    let forJob = this.pending.lines.get(job.id);
    if (!forJob) this.pending.lines.set(job.id, (forJob = new Map()));
    for (const line of lines) {
      if (!forJob.has(line.ts)) this.pending.lineCount++;
      forJob.set(line.ts, line);
    }
    this.pending.jobs.set(job.id, mergeJob(this.pending.jobs.get(job.id), job));
    this.afterEnqueue();
  }

  // ---- what readers ask before trusting the cache ----

  /** The newest version of a job this process wrote that the cache may not hold yet. */
  pendingJob(id: string): Job | undefined {
    const queued = this.pending.jobs.get(id);
    const flushing = this.inflight.jobs.get(id);
    return queued ?? flushing;
  }

  /** Whether any job that matches is waiting to reach the cache. */
  hasPendingJobs(matches: (job: Job) => boolean): boolean {
    for (const job of this.pending.jobs.values()) if (matches(job)) return true;
    for (const job of this.inflight.jobs.values()) if (matches(job)) return true;
    return false;
  }

  /** Whether the cache's lines of this job may be incomplete right now. */
  logsIncomplete(jobId: string): boolean {
    return this.pending.lines.has(jobId) || this.inflight.lines.has(jobId) || this.incompleteLogs.has(jobId);
  }

  /** False once a write was dropped: lists must not trust the cache until a catch-up calls markCaughtUp(). */
  isComplete(): boolean {
    return this.complete;
  }

  markCaughtUp(): void {
    this.complete = true;
    for (const [jobId, count] of this.incompleteLogs) if (count === Number.POSITIVE_INFINITY) this.incompleteLogs.delete(jobId);
  }

  /** Marks a job's cached lines as incomplete while a backfill gathers them (pair with endBackfill). */
  beginBackfill(jobId: string): void {
    this.incompleteLogs.set(jobId, (this.incompleteLogs.get(jobId) ?? 0) + 1);
  }

  endBackfill(jobId: string): void {
    const left = (this.incompleteLogs.get(jobId) ?? 1) - 1;
    if (left <= 0) this.incompleteLogs.delete(jobId);
    else this.incompleteLogs.set(jobId, left);
  }

  stats(): { pendingJobs: number; pendingLines: number; inflightJobs: number; inflightLines: number; failedAttempts: number } {
    return {
      pendingJobs: this.pending.jobs.size,
      pendingLines: this.pending.lineCount,
      inflightJobs: this.inflight.jobs.size,
      inflightLines: this.inflight.lineCount,
      failedAttempts: this.attempt,
    };
  }

  /** Resolves once everything queued so far (and since) is in the cache. Never rejects. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops the timer; tries one last flush for up to `timeoutMs` (what is left stays for a catch-up). */
  async close(timeoutMs = 2_000): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const last = (async () => {
      await this.flushing;
      if (!this.isIdle()) await this.flush();
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([last, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  // ---- the flush loop ----

  private isIdle(): boolean {
    return this.pending.jobs.size === 0 && this.pending.lineCount === 0 && this.inflight.jobs.size === 0 && this.inflight.lineCount === 0;
  }

  private afterEnqueue(): void {
    this.enforceBounds();
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.timer || this.flushing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }

  private flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = undefined;
      if (this.isIdle()) {
        const waiters = this.waiters;
        this.waiters = [];
        waiters.forEach((resolve) => resolve());
      } else if (this.attempt === 0) {
        this.schedule(0);
      } else {
        const ceiling = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** this.attempt);
        this.schedule(Math.random() * ceiling);
      }
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    this.inflight = this.takeBatch();
    const groups = this.rowsOf(this.inflight);
    if (groups.length === 0) return;
    const result = await this.cache.upsertIsolating(groups);
    if (result.outcome === "unreachable") {
      this.attempt++;
      // Back in the queue, under anything newer that arrived meanwhile.
      this.requeue(this.inflight);
      this.inflight = emptyBatch();
      this.logger.warn({ err: result.error, attempt: this.attempt, pending: this.stats() }, "cache write failed; will retry");
      this.emit("failed", { error: result.error, attempt: this.attempt, ...count(groups) });
      return;
    }
    // Refused rows (Postgres answered but would not take them) are dropped,
    // not retried forever; rows left when Postgres went away mid-way go back.
    const retry = emptyBatch();
    const dropped = { jobs: 0, lines: 0 };
    if (result.outcome === "isolated") {
      for (const rows of result.unwritten) {
        if (rows.job) retry.jobs.set(rows.jobId, rows.job);
        if (rows.lines.length) retry.lines.set(rows.jobId, new Map(rows.lines.map((l) => [l.ts, l])));
      }
      for (const { rows, error } of result.refused) {
        dropped.jobs++;
        dropped.lines += rows.lines.length;
        this.incompleteLogs.set(rows.jobId, Number.POSITIVE_INFINITY);
        this.complete = false;
        this.logger.error({ err: error, cause: result.cause, jobId: rows.jobId }, "the cache refused a job's rows; dropped them (DynamoDB has them)");
      }
    }
    for (const jobId of this.inflight.lines.keys()) if (!this.pending.lines.has(jobId) && !retry.lines.has(jobId)) this.lineJobs.delete(jobId);
    this.inflight = emptyBatch();
    this.requeue(retry);
    const resumed = this.attempt;
    this.attempt = retry.jobs.size || retry.lines.size ? this.attempt + 1 : 0;
    if (resumed > 0 && this.attempt === 0 && result.outcome === "written") this.logger.info({ attempts: resumed }, "cache writes resumed");
    const writtenRows = result.outcome === "written" ? groups : result.written;
    this.committed.record(writtenRows);
    const written = count(writtenRows);
    if (written.jobs || written.lines) this.emit("flushed", written);
    if (dropped.jobs) this.emit("dropped", dropped);
  }

  /** A batch as job-by-job rows; a line's job row comes from the batch, else from lineJobs. */
  private rowsOf(batch: Batch): JobRows[] {
    return [...new Set([...batch.jobs.keys(), ...batch.lines.keys()])].map((jobId) => ({
      jobId,
      job: batch.jobs.get(jobId) ?? this.lineJobs.get(jobId),
      lines: [...(batch.lines.get(jobId)?.values() ?? [])],
    }));
  }

  private takeBatch(): Batch {
    const batch = emptyBatch();
    for (const [jobId, forJob] of this.pending.lines) {
      if (batch.lineCount >= this.options.maxBatchLines) break;
      const room = this.options.maxBatchLines - batch.lineCount;
      const taken = new Map<string, LogLine>();
      for (const [ts, line] of forJob) {
        if (taken.size >= room) break;
        taken.set(ts, line);
      }
      for (const ts of taken.keys()) forJob.delete(ts);
      if (forJob.size === 0) this.pending.lines.delete(jobId);
      this.pending.lineCount -= taken.size;
      batch.lines.set(jobId, taken);
      batch.lineCount += taken.size;
      const job = this.pending.jobs.get(jobId) ?? this.lineJobs.get(jobId);
      if (job) batch.jobs.set(jobId, job);
      this.pending.jobs.delete(jobId);
    }
    for (const [id, job] of this.pending.jobs) {
      if (batch.jobs.size >= this.options.maxBatchJobs) break;
      batch.jobs.set(id, job);
      this.pending.jobs.delete(id);
    }
    return batch;
  }

  private requeue(batch: Batch): void {
    for (const [id, job] of batch.jobs) {
      const queued = this.pending.jobs.get(id);
      this.pending.jobs.set(id, queued ? mergeJob(job, queued) : job);
    }
    for (const [jobId, lines] of batch.lines) {
      let forJob = this.pending.lines.get(jobId);
      if (!forJob) this.pending.lines.set(jobId, (forJob = new Map()));
      for (const [ts, line] of lines) {
        if (forJob.has(ts)) continue;
        forJob.set(ts, line);
        this.pending.lineCount++;
      }
    }
    this.enforceBounds();
  }

  /** Drops the oldest queued work beyond the bounds; what is dropped is remembered as incomplete. */
  private enforceBounds(): void {
    let droppedLines = 0;
    let droppedJobs = 0;
    for (const [jobId, forJob] of this.pending.lines) {
      if (this.pending.lineCount <= this.options.maxPendingLines) break;
      this.pending.lineCount -= forJob.size;
      droppedLines += forJob.size;
      this.pending.lines.delete(jobId);
      // Its cached lines stay untrusted for the life of this process (or until a catch-up).
      this.incompleteLogs.set(jobId, Number.POSITIVE_INFINITY);
    }
    for (const id of this.pending.jobs.keys()) {
      if (this.pending.jobs.size <= this.options.maxPendingJobs) break;
      this.pending.jobs.delete(id);
      droppedJobs++;
    }
    if (droppedLines || droppedJobs) {
      this.complete = false;
      this.logger.error({ droppedJobs, droppedLines }, "cache write queue full; dropped the oldest writes (DynamoDB has them)");
      this.emit("dropped", { jobs: droppedJobs, lines: droppedLines });
    }
  }
}
