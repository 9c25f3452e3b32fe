// What this process's CacheWriter has recently written to the cache, so the
// cache stream can leave out the records that would only write the same rows
// again (every append of this process reaches the cache twice otherwise: once
// by the write-behind, once by its own stream records).
//
// Only rows known committed are remembered (the upsert returned), with their
// values: a stream record is left out only when it carries exactly what the
// cache was given, so a foreign writer's different value for the same key is
// still written. Memory is per process: a restarted or another instance's
// consumer remembers nothing and writes everything, as before; this is a
// saving, never what convergence rests on. Bounded in size (the oldest jobs
// are forgotten first) and in age (a job not written for maxAgeMs is
// forgotten, far inside the cache's retention, so nothing remembered can have
// been purged meanwhile); a forgotten row is simply written again.
import type { Job } from "../jobs/job.model.js";
import type { LogLine } from "../logs/log-line.model.js";
import type { JobRows } from "./job-cache.repository.js";

export interface CommittedRowsOptions {
  /** Characters of line data remembered (about twice that in bytes), all jobs together. */
  maxChars: number;
  /** A job not written for this long is forgotten. The stream brings a write's records within seconds. */
  maxAgeMs: number;
}

export const DEFAULT_COMMITTED_ROWS_OPTIONS: CommittedRowsOptions = { maxChars: 8_000_000, maxAgeMs: 10 * 60_000 };

const sameJob = (a: Job, b: Job) =>
  a.id === b.id &&
  a.vmId === b.vmId &&
  a.commandId === b.commandId &&
  a.command === b.command &&
  a.status === b.status &&
  (a.startedAt?.getTime() ?? null) === (b.startedAt?.getTime() ?? null) &&
  (a.finishedAt?.getTime() ?? null) === (b.finishedAt?.getTime() ?? null);

interface JobMemory {
  /** When this writer last wrote rows of the job (epoch ms). */
  at: number;
  job: Job | undefined;
  /** ts → stream and data as written. */
  lines: Map<string, string>;
}

const lineValue = (line: LogLine) => `${line.stream}\n${line.data}`;

export class CommittedRows {
  private readonly options: CommittedRowsOptions;
  /** Insertion order is age order: a job written again moves to the end. */
  private readonly jobs = new Map<string, JobMemory>();
  private chars = 0;

  constructor(
    options: Partial<CommittedRowsOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_COMMITTED_ROWS_OPTIONS, ...options };
  }

  /**
   * The writer's upsert of these rows returned: the cache holds them as given,
   * or, for a job row the merge rule kept (a finished row against a running
   * copy, a commandId kept), a row that writing the same copy again would not change.
   */
  record(groups: readonly JobRows[]): void {
    for (const rows of groups) {
      const memory = this.jobs.get(rows.jobId) ?? { at: 0, job: undefined, lines: new Map<string, string>() };
      memory.at = this.now();
      this.jobs.delete(rows.jobId);
      this.jobs.set(rows.jobId, memory);
      if (rows.job) memory.job = rows.job;
      for (const line of rows.lines) {
        const value = lineValue(line);
        this.chars += value.length - (memory.lines.get(line.ts)?.length ?? 0);
        memory.lines.set(line.ts, value);
      }
    }
    this.evict();
  }

  /** The rows minus what the cache was already given with exactly these values; undefined when nothing is left to write. */
  unwritten(rows: JobRows): JobRows | undefined {
    const memory = this.recent(rows.jobId);
    if (!memory) return rows;
    const job = rows.job && memory.job && sameJob(rows.job, memory.job) ? undefined : rows.job;
    const lines = rows.lines.filter((line) => memory.lines.get(line.ts) !== lineValue(line));
    if (!job && lines.length === 0) return undefined;
    // A line left to write needs its job row: a job row left out is one this process wrote.
    return { jobId: rows.jobId, job, lines };
  }

  /** Whether this process wrote the job's row (so the cache has it, for its lines' foreign key). */
  wroteJob(jobId: string): boolean {
    return this.recent(jobId)?.job !== undefined;
  }

  private recent(jobId: string): JobMemory | undefined {
    const memory = this.jobs.get(jobId);
    return memory && this.now() - memory.at <= this.options.maxAgeMs ? memory : undefined;
  }

  private evict(): void {
    const oldest = this.now() - this.options.maxAgeMs;
    for (const [jobId, memory] of this.jobs) {
      if (this.chars <= this.options.maxChars && memory.at >= oldest) break;
      for (const value of memory.lines.values()) this.chars -= value.length;
      this.jobs.delete(jobId);
    }
  }
}
