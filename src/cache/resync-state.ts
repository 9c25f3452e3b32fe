// The full resync's durable state (table cache_resync, one row per
// deployment): whether a resync is needed, the checkpoint of a running one,
// and when the stream consumer was last caught up. Every instance reads it to
// know whether lists may trust the cache; whoever holds the resync lock
// (cache-resync.ts) writes the checkpoint.
export type ResyncStatus = "needed" | "running" | "done";

/** The last job copied, in the byStartedAt index's order (startedAt, then jobId). */
export interface ResyncCursor {
  startedAt: string;
  jobId: string;
}

export interface ResyncState {
  status: ResyncStatus;
  reason: string;
  /** The window of the running (or last) resync: jobs started at or after it. */
  since: Date | null;
  cursor: ResyncCursor | null;
  jobsDone: number;
  linesDone: number;
  jobsTotal: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  streamCaughtUpAt: Date | null;
}

/** Runs one parameterized statement: a pg client, or Prisma through sqlOverPrisma. */
export interface Sql {
  query<R>(text: string, params: unknown[]): Promise<{ rows: R[] }>;
}

export function sqlOverPrisma(prisma: { $queryRawUnsafe<T>(query: string, ...values: unknown[]): Promise<T> }): Sql {
  return { query: async <R>(text: string, params: unknown[]) => ({ rows: await prisma.$queryRawUnsafe<R[]>(text, ...params) }) };
}

interface Row {
  status: ResyncStatus;
  reason: string;
  since: Date | null;
  cursor_started_at: string | null;
  cursor_job_id: string | null;
  jobs_done: number;
  lines_done: string;
  jobs_total: number | null;
  started_at: Date | null;
  finished_at: Date | null;
  stream_caught_up_at: Date | null;
}

const toState = (row: Row): ResyncState => ({
  status: row.status,
  reason: row.reason,
  since: row.since,
  cursor: row.cursor_started_at && row.cursor_job_id ? { startedAt: row.cursor_started_at, jobId: row.cursor_job_id } : null,
  jobsDone: row.jobs_done,
  linesDone: Number(row.lines_done),
  jobsTotal: row.jobs_total,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  streamCaughtUpAt: row.stream_caught_up_at,
});

export const isPending = (state: ResyncState | null): boolean => state?.status === "needed" || state?.status === "running";

export class ResyncStateStore {
  constructor(
    private readonly sql: Sql,
    /** The DynamoDB jobs table's name: deployments sharing a database keep apart. */
    private readonly deployment: string,
  ) {}

  async get(): Promise<ResyncState | null> {
    const { rows } = await this.sql.query<Row>(`SELECT status, reason, since, cursor_started_at, cursor_job_id, jobs_done, lines_done::text AS lines_done, jobs_total,
              started_at, finished_at, stream_caught_up_at
       FROM cache_resync WHERE deployment = $1`, [this.deployment]);
    return rows[0] ? toState(rows[0]) : null;
  }

  /** A resync is needed; a pending one (needed or running, with its checkpoint) stays as it is. */
  async markNeeded(reason: string): Promise<void> {
    await this.sql.query(
      `INSERT INTO cache_resync (deployment, status, reason) VALUES ($1, 'needed', $2)
       ON CONFLICT (deployment) DO UPDATE SET status = 'needed', reason = EXCLUDED.reason, since = NULL,
         cursor_started_at = NULL, cursor_job_id = NULL, jobs_done = 0, lines_done = 0, jobs_total = NULL,
         started_at = NULL, finished_at = NULL, updated_at = now()
       WHERE cache_resync.status = 'done'`,
      [this.deployment, reason],
    );
  }

  /** Starts a run from the beginning of `since`'s window (forgetting any checkpoint). */
  async begin(since: Date, reason: string): Promise<void> {
    await this.sql.query(
      `INSERT INTO cache_resync (deployment, status, reason, since, started_at) VALUES ($1, 'running', $2, $3, now())
       ON CONFLICT (deployment) DO UPDATE SET status = 'running', reason = EXCLUDED.reason, since = EXCLUDED.since,
         cursor_started_at = NULL, cursor_job_id = NULL, jobs_done = 0, lines_done = 0, jobs_total = NULL,
         started_at = now(), finished_at = NULL, updated_at = now()`,
      [this.deployment, reason, since],
    );
  }

  /** Resumes the pending run where its checkpoint is. */
  async resume(): Promise<void> {
    await this.sql.query(`UPDATE cache_resync SET status = 'running', updated_at = now() WHERE deployment = $1`, [this.deployment]);
  }

  async setTotal(jobsTotal: number): Promise<void> {
    await this.sql.query(`UPDATE cache_resync SET jobs_total = $2, updated_at = now() WHERE deployment = $1`, [this.deployment, jobsTotal]);
  }

  async checkpoint(cursor: ResyncCursor, jobsDone: number, linesDone: number): Promise<void> {
    await this.sql.query(
      `UPDATE cache_resync SET cursor_started_at = $2, cursor_job_id = $3, jobs_done = $4, lines_done = $5, updated_at = now()
       WHERE deployment = $1`,
      [this.deployment, cursor.startedAt, cursor.jobId, jobsDone, linesDone],
    );
  }

  async finish(): Promise<void> {
    await this.sql.query(`UPDATE cache_resync SET status = 'done', finished_at = now(), updated_at = now() WHERE deployment = $1`, [
      this.deployment,
    ]);
  }

  /** The stream consumer was caught up at `at` (the row is made if there is none). */
  async recordStreamCaughtUp(at: Date): Promise<void> {
    await this.sql.query(
      `INSERT INTO cache_resync (deployment, status, reason, stream_caught_up_at) VALUES ($1, 'done', 'none yet', $2)
       ON CONFLICT (deployment) DO UPDATE SET stream_caught_up_at = GREATEST(cache_resync.stream_caught_up_at, EXCLUDED.stream_caught_up_at)`,
      [this.deployment, at],
    );
  }
}
