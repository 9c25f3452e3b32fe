// Log search (issue 16): one job's lines, or every cached job's.
//
// One job: its lines are read oldest first through JobReads (the cache when
// the rules of `logs` allow, else DynamoDB), SCAN.pageLines at a time, and
// matched here; a call reads at most SCAN.maxLines lines. When that budget
// ends first the page may hold fewer than `first` matches (none, even), with
// hasNextPage true and endCursor where the reading stopped: the cursors are
// Job.logs cursors, so the next call reads on from there.
//
// Every job: one statement on the cache (LogSearchRepository), only jobs
// started within CACHE_TTL_DAYS (what the cache holds), newest job first, then
// oldest line; under SEARCH_STATEMENT_TIMEOUT_MS, past which it answers TIMEOUT.
import { z } from "zod";
import { OPERATIONS } from "../auth/operations.js";
import { authorize, type Actor } from "../auth/permissions.js";
import { cacheHorizon } from "../cache/cache-policy.js";
import type { JobReads } from "../cache/job-reads.js";
import type { Job } from "../jobs/job.model.js";
import { logTimestampSchema } from "../logs/log-line.schema.js";
import { logCursor, logCursorTs } from "../logs/log-line.service.js";
import { AppError, ErrorCode, notFound } from "../shared/errors.js";
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from "../shared/pagination.js";
import { parseInput, uuidSchema } from "../shared/validation.js";
import type { LogMatch } from "./log-match.model.js";
import { compileLogPattern, type LogPattern } from "./log-pattern.js";
import type { FoundLine, LogSearchRepository } from "./log-search.repository.js";
import { logSearchInputSchema, searchFilterSchema, type LogSearchInput, type SearchFilterInput } from "./log-search.schema.js";

export const SEARCH_PAGE = { job: { default: 100, max: 100 }, all: { default: 50, max: 100 } };
/** The work one call of a one-job search may do: lines read per store call, and in all. */
export const SCAN = { pageLines: 500, maxLines: 5_000 };

const ALL_CURSOR_KIND = "logmatch";
const allCursorShape = { at: z.iso.datetime(), id: uuidSchema, ts: logTimestampSchema };
const allCursor = (found: FoundLine) =>
  encodeCursor(ALL_CURSOR_KIND, { at: (found.job.startedAt ?? new Date(0)).toISOString(), id: found.job.id, ts: found.line.ts });

export interface SearchArgs {
  query: LogSearchInput;
  first?: number | null;
  after?: string | null;
}

export interface SearchOptions {
  cacheTtlDays: number;
  statementTimeoutMs: number;
}

export class LogSearchService {
  constructor(
    private readonly reads: JobReads,
    private readonly repository: LogSearchRepository,
    private readonly options: SearchOptions,
  ) {}

  /** One job's matching lines, oldest first; `job`, when the caller has it, is set on each match. */
  async searchJob(actor: Actor | null, jobId: string, args: SearchArgs, job: Job | null = null): Promise<Page<LogMatch>> {
    authorize(actor, OPERATIONS["Job.searchLogs"]);
    const id = parseInput(uuidSchema, jobId, "jobId");
    const query = parseInput(logSearchInputSchema, args.query, "query");
    const size = pageSize(args.first, SEARCH_PAGE.job.default, SEARCH_PAGE.job.max);
    let position = args.after ? logCursorTs(args.after) : undefined;
    const pattern = compileLogPattern(query.text, query.regex ?? false);

    const matches: LogMatch[] = [];
    let read = 0;
    let ended = false;
    while (matches.length <= size && read < SCAN.maxLines) {
      const [lines] = await this.reads.logsOfJobs([id], { after: position, limit: SCAN.pageLines });
      if (lines instanceof Error) throw lines;
      if (!lines) throw notFound("job", id);
      for (const line of lines) {
        read++;
        position = line.ts;
        if (query.stream && line.stream !== query.stream) continue;
        const ranges = pattern.ranges(line.data);
        if (ranges.length && matches.push({ line, job, ranges, lineCursor: logCursor(line) }) > size) break;
      }
      if (lines.length < SCAN.pageLines && matches.length <= size) {
        ended = true;
        break;
      }
    }

    const page = toPage(matches, size, (m) => m.lineCursor);
    if (matches.length > size || ended) return page;
    // The budget ran out first: more of the log is still to read from `position`.
    return { edges: page.edges, pageInfo: { hasNextPage: true, endCursor: position ? logCursor({ ts: position }) : null } };
  }

  /** Matching lines of every cached job `filter` selects: newest job first, then oldest line. */
  async searchAll(actor: Actor | null, args: SearchArgs & { filter?: SearchFilterInput }): Promise<Page<LogMatch>> {
    authorize(actor, OPERATIONS.searchLogs);
    const query = parseInput(logSearchInputSchema, args.query, "query");
    const filter = parseInput(searchFilterSchema, args.filter, "filter") ?? {};
    const size = pageSize(args.first, SEARCH_PAGE.all.default, SEARCH_PAGE.all.max);
    const after = args.after ? decodeCursor(ALL_CURSOR_KIND, args.after, allCursorShape) : undefined;
    const pattern: LogPattern = compileLogPattern(query.text, query.regex ?? false);

    const horizon = cacheHorizon(this.options.cacheTtlDays);
    // startedAfter is exclusive; the statement's lower bound is inclusive, at millisecond precision.
    const from = filter.startedAfter && filter.startedAfter.getTime() + 1 > horizon.getTime() ? new Date(filter.startedAfter.getTime() + 1) : horizon;
    const outcome = await this.repository.searchAllJobs({
      pattern: pattern.sql,
      from,
      before: filter.startedBefore ?? undefined,
      vmId: filter.vmId ?? undefined,
      status: filter.status ?? undefined,
      stream: query.stream ?? undefined,
      after: after && { startedAt: new Date(after.at), jobId: after.id, ts: after.ts },
      limit: size + 1,
      timeoutMs: this.options.statementTimeoutMs,
    });
    switch (outcome.outcome) {
      case "timeout":
        throw new AppError(
          ErrorCode.TIMEOUT,
          `the search took longer than ${this.options.statementTimeoutMs} ms and was stopped; narrow it (longer text, a filter on vmId, status or startedAfter) and try again`,
        );
      case "unavailable":
        throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, "searching every job needs the PostgreSQL cache, which is unavailable; search one job instead", [], {
          cause: outcome.error,
        });
    }
    const page = toPage(outcome.rows, size, allCursor);
    return {
      pageInfo: page.pageInfo,
      edges: page.edges.map((edge) => {
        const { job, line } = edge.node;
        return { cursor: edge.cursor, node: { line, job, ranges: pattern.ranges(line.data), lineCursor: logCursor(line) } };
      }),
    };
  }
}
