import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { OPERATIONS } from "../auth/operations.js";
import { authorize, type Actor } from "../auth/permissions.js";
import type { LiveEvents } from "../live-tail/live-events.js";
import type { CacheWriter } from "../cache/cache-writer.js";
import type { JobReads, LogsQuery } from "../cache/job-reads.js";
import type { Job } from "../jobs/job.model.js";
import type { JobRepository } from "../jobs/job.repository.js";
import { AppError, ErrorCode, conflict, notFound } from "../shared/errors.js";
import { fromMicros, nowLogTimestamp, toMicros } from "../shared/log-timestamp.js";
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from "../shared/pagination.js";
import { parseInput } from "../shared/validation.js";
import type { LogLine, LogStream } from "./log-line.model.js";
import { LINES_PER_WRITE, type LogLineRepository, type WriteOutcome } from "./log-line.repository.js";
import { appendLogsSchema, logsQuerySchema, logTimestampSchema, type AppendLogsInput } from "./log-line.schema.js";

export const LOG_PAGE = { default: 500, max: 1_000 };
const MAX_CLAIM_ATTEMPTS = 50;
const CURSOR_KIND = "log";
const cursorShape = { ts: logTimestampSchema };
const logFiltersSchema = logsQuerySchema.omit({ jobId: true });
/** A line's cursor in Job.logs (and in jobLogTail): reading on from it starts right after that line. */
export const logCursor = (line: Pick<LogLine, "ts">) => encodeCursor(CURSOR_KIND, { ts: line.ts });
/** The ts a Job.logs cursor stands for; BAD_USER_INPUT for anything else. */
export const logCursorTs = (cursor: string) => decodeCursor(CURSOR_KIND, cursor, cursorShape).ts;

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
  /**
   * Claims for one job run one after another in this process, so its own
   * appends do not spend DynamoDB calls beating each other; across processes
   * the claim's condition decides. Only the claim's transaction is in the
   * queue: the chunks after it run in parallel with other appends.
   */
  private readonly jobLocks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly logs: LogLineRepository,
    private readonly jobs: JobRepository,
    private readonly writer: CacheWriter,
    private readonly reads: JobReads,
    private readonly live: LiveEvents,
  ) {}

  /** A job's lines, oldest first; the cache first (see job-reads.ts), else DynamoDB. */
  async list(actor: Actor | null, jobId: string, args: LogPageArgs): Promise<Page<LogLine>> {
    authorize(actor, OPERATIONS.logs);
    const { jobId: id, ...filters } = parseInput(logsQuerySchema, { jobId, stream: args.stream, since: args.since }, "");
    const [page] = await this.pages([id], this.query(args, filters));
    if (page instanceof Error) throw page;
    return page!;
  }

  /**
   * Job.logs for a page of jobs with the same arguments, read together
   * (JobReads.logsOfJobs). A job whose read fails gets its Error in its place
   * (DataLoader's contract), so it fails that job's logs only.
   */
  async listForJobs(actor: Actor | null, jobs: readonly Job[], args: LogPageArgs): Promise<Array<Page<LogLine> | Error>> {
    return this.pages(
      jobs.map((job) => job.id),
      this.jobLogsQuery(actor, args),
    );
  }

  /**
   * Job.logs read with its job (JobResolver.job, JobReads.jobWithLogs: one
   * cache statement for both): the page query these arguments make, and how
   * its lines become the page Job.logs answers. Null when Job.logs would
   * refuse them; it then says why itself.
   */
  prefetch(actor: Actor | null, args: LogPageArgs): { query: LogsQuery; page: (lines: LogLine[]) => Page<LogLine> } | null {
    let pageQuery: LogPageQuery;
    try {
      pageQuery = this.jobLogsQuery(actor, args);
    } catch {
      return null;
    }
    const { size, ...query } = pageQuery;
    return { query, page: (lines) => toPage(lines, size, logCursor) };
  }

  /** Job.logs's permission and filters, checked, and the page query they make. */
  private jobLogsQuery(actor: Actor | null, args: LogPageArgs): LogPageQuery {
    authorize(actor, OPERATIONS["Job.logs"]);
    return this.query(args, parseInput(logFiltersSchema, { stream: args.stream, since: args.since }, ""));
  }

  private query(args: LogPageArgs, valid: { stream?: LogStream | null; since?: string | null }): LogPageQuery {
    const size = pageSize(args.first, LOG_PAGE.default, LOG_PAGE.max);
    const after = args.after ? logCursorTs(args.after) : undefined;
    return { size, after, since: valid.since ?? undefined, stream: valid.stream ?? undefined, limit: size + 1 };
  }

  private async pages(jobIds: readonly string[], query: LogPageQuery): Promise<Array<Page<LogLine> | Error>> {
    const { size, ...q } = query;
    const found = await this.reads.logsOfJobs(jobIds, q);
    return found.map((lines, i) => (lines instanceof Error ? lines : lines === null ? notFound("job", jobIds[i]!) : toPage(lines, size, logCursor)));
  }

  /**
   * Appends lines in the order sent, after every line the job's log already
   * has or is being given, whichever instance stores them. Each line keeps its
   * ts (or the time of receipt) unless that is not past the line before it,
   * the batch's or the log's: then it moves 1 µs after. The whole batch is
   * validated before anything is written.
   *
   * The range of ts the batch takes is claimed on the job's item in the same
   * transaction as its first 99 lines (JobRepository.logClaim): a conditional
   * update that DynamoDB grants to one append at a time, so a second instance
   * gets the next range instead of the same one, and a finished job grants
   * none (CONFLICT). Later chunks carry the claim's guard; the release after
   * the last lets the watermark pass the range.
   */
  async append(actor: Actor | null, input: AppendLogsInput): Promise<AppendLogsResult> {
    authorize(actor, OPERATIONS.appendJobLogs);
    const valid = parseInput(appendLogsSchema, input, "");
    if (valid.lines.length === 0) {
      if (!(await this.jobs.get(valid.jobId, true))) throw notFound("job", valid.jobId);
      return { accepted: 0, lastTs: null };
    }

    const claimId = randomUUID();
    const { job, lines } = await this.withJobLock(valid.jobId, () => this.claim(valid, claimId));
    // claim() returns once the first chunk is stored with the claim.
    let written = Math.min(lines.length, LINES_PER_WRITE);
    let fenced = false;
    try {
      const guard = this.jobs.logClaimGuard(job.id, claimId);
      while (written < lines.length && !fenced) {
        const chunk = lines.slice(written, written + LINES_PER_WRITE);
        if ((await this.logs.write(chunk, guard())).outcome === "refused") fenced = true;
        else written += chunk.length;
      }
    } finally {
      // What DynamoDB holds goes to the cache, even when a later chunk failed.
      this.writer.enqueueLines(job, lines.slice(0, written));
      // Released on failure too: the unwritten rest of the range will never come, and readers must not wait for it.
      await this.jobs.releaseLogRange(job.id, claimId);
      // Stored or not, the watermark moved: the job's tails read again.
      this.live.logMoved(job.id);
    }
    if (fenced) {
      throw new AppError(
        ErrorCode.SERVICE_UNAVAILABLE,
        `job ${job.id}: this append stalled past its claim's lease and was taken over; ${written} of ${lines.length} lines were stored, try again`,
      );
    }
    return { accepted: lines.length, lastTs: lines.at(-1)!.ts };
  }

  /**
   * Places the batch after the log's claimed end and claims that range with
   * its first chunk of lines, placed again past whoever claimed first. When
   * it returns, the claim is on the job's item and that chunk is stored.
   */
  private async claim(valid: z.output<typeof appendLogsSchema>, claimId: string): Promise<{ job: Job; lines: LogLine[] }> {
    let state = await this.jobs.getLogState(valid.jobId);
    if (!state) throw notFound("job", valid.jobId);
    const { job } = state;
    // A job without a claim may still hold lines written before claims existed.
    let end = state.logClaimedTs ?? (await this.logs.lastTs(job.id));
    const receipt = toMicros(nowLogTimestamp());
    const wanted = valid.lines.map((line) => (line.ts ? toMicros(line.ts) : receipt));

    // Each refusal means another append's claim went through, so the log moved on; the bound only stops a pathological starvation.
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      let previous = end === null ? -1n : toMicros(end);
      const lines: LogLine[] = valid.lines.map((line, i) => {
        previous = wanted[i]! > previous ? wanted[i]! : previous + 1n;
        return { jobId: job.id, ts: fromMicros(previous), stream: line.stream, data: line.data };
      });
      const claim = this.jobs.logClaim(job.id, claimId, lines[0]!.ts, lines.at(-1)!.ts, state);
      let first: WriteOutcome;
      try {
        first = await this.logs.write(lines.slice(0, LINES_PER_WRITE), claim);
      } catch (error) {
        // Failed past every retry, the transaction may still have landed (a
        // lost answer): its claim would hold the watermark for a whole lease.
        // Released at once, as a claim whose chunk failed always was; a
        // release of a claim that never landed removes nothing.
        await this.jobs.releaseLogRange(job.id, claimId).catch(() => undefined);
        throw error;
      }
      if (first.outcome === "written") return { job, lines };
      const refusal = this.jobs.claimRefusal(first.item);
      switch (refusal.outcome) {
        case "missing":
          throw notFound("job", job.id);
        case "closed":
          throw conflict(`job ${job.id} is ${refusal.job.status}: its log is closed`);
        case "taken":
          state = refusal.state;
          end = state.logClaimedTs ?? end;
      }
    }
    throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, `job ${job.id}: ${MAX_CLAIM_ATTEMPTS} appends claimed its log first; try again`);
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
