// The all-jobs log search on the Postgres cache: one statement per page, under
// its own statement_timeout. Lines are matched on their visible text
// (VISIBLE_DATA: the expression the pg_trgm GIN index of migration
// 20261202000000_job_logs_trgm is built on, so the planner can use it).
import { JOB_COLUMNS, toJob, TS_TEXT, type JobRow } from "../cache/job-cache.repository.js";
import { Prisma } from "../generated/prisma/client.js";
import type { PrismaClient } from "../infra/postgres/prisma.js";
import { isPostgresUnavailable, isStatementTimeout } from "../infra/postgres/errors.js";
import type { Job, JobStatus } from "../jobs/job.model.js";
import type { LogLine, LogStream } from "../logs/log-line.model.js";
import { ANSI_CSI } from "./log-pattern.js";

/** Must stay the index's expression (the migration's), or the index is not used. */
const VISIBLE_DATA = Prisma.raw(`regexp_replace(l.data, '${ANSI_CSI}', '', 'g')`);

/** Where a page continues: after this line of this job (jobs newest first, lines oldest first). */
export interface SearchPosition {
  startedAt: Date;
  jobId: string;
  ts: string;
}

export interface AllJobsSearch {
  /** The dialect's pattern for `~` (log-pattern.ts). */
  pattern: string;
  /** started_at >= from (the cache horizon, or the filter's startedAfter if later). */
  from: Date;
  /** started_at < before. */
  before?: Date;
  vmId?: string;
  status?: JobStatus;
  stream?: LogStream;
  after?: SearchPosition;
  limit: number;
  timeoutMs: number;
}

export interface FoundLine {
  job: Job;
  line: LogLine;
}

export type SearchOutcome = { outcome: "found"; rows: FoundLine[] } | { outcome: "timeout" } | { outcome: "unavailable"; error: unknown };

interface Row extends JobRow {
  ts: string;
  stream: LogStream;
  data: string;
}

/** The statement of a page of an all-jobs search (exported for EXPLAIN in tests: the index must serve it). */
export function searchStatement(q: Omit<AllJobsSearch, "timeoutMs">): Prisma.Sql {
  const conditions = [Prisma.sql`j.started_at >= ${q.from}::timestamptz`];
  if (q.before) conditions.push(Prisma.sql`j.started_at < ${q.before}::timestamptz`);
  if (q.vmId) conditions.push(Prisma.sql`j.vm_id = ${q.vmId}`);
  if (q.status) conditions.push(Prisma.sql`j.status = ${q.status}`);
  if (q.stream) conditions.push(Prisma.sql`l.stream = ${q.stream}`);
  if (q.after) {
    const { startedAt, jobId, ts } = q.after;
    conditions.push(Prisma.sql`((j.started_at, j.id) < (${startedAt}::timestamptz, ${jobId}::uuid) OR (j.id = ${jobId}::uuid AND l.ts > ${ts}::timestamptz))`);
  }
  conditions.push(Prisma.sql`${VISIBLE_DATA} ~ ${q.pattern}`);
  return Prisma.sql`
    SELECT ${JOB_COLUMNS}, ${TS_TEXT} AS ts, l.stream, l.data
    FROM job_logs l JOIN jobs j ON j.id = l.job_id
    WHERE ${Prisma.join(conditions, " AND ")}
    ORDER BY j.started_at DESC, j.id DESC, l.ts
    LIMIT ${q.limit}`;
}

export class LogSearchRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Matching lines, newest job first then oldest line; "timeout" when statement_timeout cancelled it, "unavailable" when PostgreSQL cannot be reached. */
  async searchAllJobs(q: AllJobsSearch): Promise<SearchOutcome> {
    try {
      const [, rows] = await this.prisma.$transaction([
        // SET LOCAL: this transaction only; the pooled connection keeps its default.
        this.prisma.$executeRawUnsafe(`SET LOCAL statement_timeout = ${Math.trunc(q.timeoutMs)}`),
        this.prisma.$queryRaw<Row[]>(searchStatement(q)),
      ]);
      return {
        outcome: "found",
        rows: rows.map((r) => ({
          job: toJob(r),
          line: { jobId: r.id, ts: r.ts, stream: r.stream, data: r.data },
        })),
      };
    } catch (error) {
      if (isStatementTimeout(error)) return { outcome: "timeout" };
      if (isPostgresUnavailable(error)) return { outcome: "unavailable", error };
      throw error;
    }
  }
}
