import { authorize, type Actor } from "../auth/permissions.js";
import type { CacheBackfill } from "../cache/cache-backfill.js";
import { cacheHorizon, type CacheReads } from "../cache/cache-policy.js";
import type { CacheWriter } from "../cache/cache-writer.js";
import type { JobCacheRepository } from "../cache/job-cache.repository.js";
import type { Job } from "../jobs/job.model.js";
import type { JobRepository } from "../jobs/job.repository.js";
import { notFound } from "../shared/errors.js";
import { fromMicros, nowLogTimestamp, toMicros } from "../shared/log-timestamp.js";
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from "../shared/pagination.js";
import { parseInput } from "../shared/validation.js";
import type { LogLine, LogStream } from "./log-line.model.js";
import type { LogLineRepository } from "./log-line.repository.js";
import { appendLogsSchema, logsQuerySchema, logTimestampSchema, type AppendLogsInput } from "./log-line.schema.js";

export const LOG_PAGE = { default: 500, max: 1_000 };
const CURSOR_KIND = "log";
const cursorShape = { ts: logTimestampSchema };
const logFiltersSchema = logsQuerySchema.omit({ jobId: true });
const logCursor = (line: LogLine) => encodeCursor(CURSOR_KIND, { ts: line.ts });

export interface LogPageArgs {
  first?: number | null;
  after?: string | null;
  stream?: LogStream | null;
  since?: string | null;
}

/** A validated page request, for any job. */
interface LogPageQuery {
  size: number;
  after?: string;
  since?: string;
  stream?: LogStream;
  limit: number;
}

export interface AppendLogsResult {
  accepted: number;
  lastTs: string | null;
}

export class LogLineService {
  /** Appends to one job run one after another in this process, so their timestamps cannot collide. */
  private readonly jobLocks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly logs: LogLineRepository,
    private readonly jobs: JobRepository,
    private readonly cache: JobCacheRepository,
    private readonly writer: CacheWriter,
    private readonly backfill: CacheBackfill,
    private readonly reads: CacheReads,
    private readonly cacheTtlDays: number,
  ) {}

  /** A job's lines, oldest first; the cache first (see cache-policy.ts), else DynamoDB. */
  async list(actor: Actor | null, jobId: string, args: LogPageArgs): Promise<Page<LogLine>> {
    authorize(actor, "read");
    const { jobId: id, ...filters } = parseInput(logsQuerySchema, { jobId, stream: args.stream, since: args.since }, "");
    const [page] = await this.pages([id], this.query(args, filters));
    if (page instanceof Error) throw page;
    return page!;
  }

  /**
   * Job.logs for a page of jobs with the same arguments: ONE cache query for
   * every job the cache may answer, DynamoDB per job for the rest, exactly as
   * list() decides for one job. A job whose read fails gets its Error in its
   * place (DataLoader's contract), so it fails that job's logs only.
   */
  async listForJobs(actor: Actor | null, jobs: readonly Job[], args: LogPageArgs): Promise<Array<Page<LogLine> | Error>> {
    authorize(actor, "read");
    const filters = parseInput(logFiltersSchema, { stream: args.stream, since: args.since }, "");
    return this.pages(
      jobs.map((job) => job.id),
      this.query(args, filters),
    );
  }

  private query(args: LogPageArgs, valid: { stream?: LogStream | null; since?: string | null }): LogPageQuery {
    const size = pageSize(args.first, LOG_PAGE.default, LOG_PAGE.max);
    const after = args.after ? decodeCursor(CURSOR_KIND, args.after, cursorShape).ts : undefined;
    return { size, after, since: valid.since ?? undefined, stream: valid.stream ?? undefined, limit: size + 1 };
  }

  private async pages(jobIds: readonly string[], query: LogPageQuery): Promise<Array<Page<LogLine> | Error>> {
    const { size, ...q } = query;
    const page = (lines: LogLine[]) => toPage(lines, size, logCursor);
    const incomplete = jobIds.map((id) => this.writer.logsIncomplete(id));
    for (const skipped of incomplete) if (skipped) this.reads.skipped("job_logs");
    const cacheable = jobIds.filter((_, i) => !incomplete[i]);
    const cached = cacheable.length
      ? await this.reads.read("job_logs", "logs", () => this.cache.logsForJobs(cacheable, q), (found) => found.size > 0)
      : undefined;
    const horizon = cacheHorizon(this.cacheTtlDays);

    return Promise.all(
      jobIds.map(async (jobId, i): Promise<Page<LogLine> | Error> => {
        try {
          const one = { jobId, ...q };
          if (cached && !incomplete[i]) {
            const hit = cached.get(jobId);
            if (hit?.jobStartedAt && hit.jobStartedAt >= horizon) return page(hit.lines);
            if (!hit) {
              // A miss: serve DynamoDB, and backfill the job with all its lines.
              const [job, lines] = await Promise.all([this.jobs.get(jobId), this.logs.list(one)]);
              if (!job) throw notFound("job", jobId);
              this.backfill.job(job);
              return page(lines);
            }
          }
          // Lines this process has just written may not have reached every replica yet.
          const lines = await this.logs.list(one, incomplete[i]);
          if (lines.length === 0 && !(await this.jobs.get(jobId))) throw notFound("job", jobId);
          return page(lines);
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      }),
    );
  }

  /**
   * Stores lines in the order sent. Each gets a unique microsecond ts: its own
   * (or the time of receipt), moved 1 µs past the previous line of the batch
   * and past any line already stored at that ts. The whole batch is validated
   * before anything is written.
   */
  async append(actor: Actor | null, input: AppendLogsInput): Promise<AppendLogsResult> {
    authorize(actor, "write");
    const valid = parseInput(appendLogsSchema, input, "");
    const job = await this.jobs.get(valid.jobId, true);
    if (!job) throw notFound("job", valid.jobId);
    if (valid.lines.length === 0) return { accepted: 0, lastTs: null };

    return this.withJobLock(job.id, async () => {
      const receipt = toMicros(nowLogTimestamp());
      const wanted = valid.lines.map((line) => (line.ts ? toMicros(line.ts) : receipt));
      // Candidates only ever grow, so nothing below the first one can collide.
      const first = wanted[0]!;
      const stored = new Set((await this.logs.storedTimestamps(job.id, fromMicros(first))).map(toMicros));
      let previous = -1n;
      const lines: LogLine[] = valid.lines.map((line, i) => {
        let ts = wanted[i]! > previous ? wanted[i]! : previous + 1n;
        while (stored.has(ts)) ts += 1n;
        previous = ts;
        return { jobId: job.id, ts: fromMicros(ts), stream: line.stream, data: line.data };
      });

      let written = 0;
      try {
        await this.logs.append(lines, (count) => (written += count));
      } finally {
        // What DynamoDB holds goes to the cache, even when a later chunk failed.
        if (written > 0) this.writer.enqueueLines(job, lines.slice(0, written));
      }
      return { accepted: lines.length, lastTs: lines.at(-1)!.ts };
    });
  }

  private async withJobLock<T>(jobId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.jobLocks.get(jobId) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.catch(() => undefined);
    this.jobLocks.set(jobId, settled);
    try {
      return await run;
    } finally {
      if (this.jobLocks.get(jobId) === settled) this.jobLocks.delete(jobId);
    }
  }
}
