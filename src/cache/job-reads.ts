// The read port: every read of jobs and log lines the services make goes
// through JobReads, which decides when the cache may answer and how a read
// falls back to DynamoDB. Services keep their rules (validation, permissions,
// paging); which store answers is decided here only.
//
// The rule (why a cache answer is complete, not merely present):
//
// 1. Horizon. The cache keeps rows for CACHE_TTL_DAYS and the purge deletes
//    older ones, so it is trusted only for jobs started at or after
//    horizon = now - CACHE_TTL_DAYS (fixed once per read). A list reads the
//    cache for startedAt >= horizon and continues in DynamoDB strictly below
//    the horizon when the cache returned less than a page, so no row is served
//    twice or skipped at the seam; a cursor below the horizon reads DynamoDB
//    only. A job's logs are read from the cache only when the job started at or
//    after the horizon (its lines were cached after it started, so the purge,
//    which deletes by age, has not touched them).
// 2. Nothing in flight. Whatever this process wrote to DynamoDB and has not
//    yet flushed (CacheWriter's queue and in-flight batch) is not in the cache:
//    a list is served by the cache only when no queued job matches it, and a
//    job's logs only when none of its lines are queued, being backfilled, or
//    were ever dropped. After a dropped write (queue overflow) lists skip the
//    cache until a catch-up calls CacheWriter.markCaughtUp().
// 3. Misses. job(id): a missing row is a miss → DynamoDB, then the job and
//    all its lines are backfilled together (CacheBackfill), so a cached job
//    row always comes with its lines. logs: a missing job row is a miss, the
//    same way; a cached job with no lines is a complete, empty answer.
// 4. Failures. Any error from Postgres is logged and the read goes to DynamoDB.
// 5. Other writers. Writes another instance made, or that a process lost by
//    crashing before its flush, reach the cache through the DynamoDB Streams
//    catch-up (cache-stream.ts), not through this process's queue. With the
//    stream on (CACHE_STREAM, the default), every cache read (job, lists,
//    logs) first asks CacheReads.current(): the catch-up's lag, as this
//    instance knows it, is at most CACHE_STREAM_MAX_LAG_MS. Otherwise
//    (replaying after a start or a takeover, no consumer, Postgres down) the
//    read goes to DynamoDB.
//
// So a cache answer holds every write this process made (rule 2) and every
// write anyone made more than lagMs before it (rule 5, at most
// CACHE_STREAM_MAX_LAG_MS, 5 s by default): that window, for other instances'
// and crashed processes' writes, is the whole of what is eventually
// consistent. `consistency: STRONG` reads DynamoDB directly. With
// CACHE_STREAM=off rule 5 is skipped, and other writers' rows are not covered
// at all: one instance only (tests).
import { keyBefore, type TimeKey } from "../infra/dynamodb/newest-first.js";
import type { Job, JobStatus } from "../jobs/job.model.js";
import type { JobListQuery, JobRepository } from "../jobs/job.repository.js";
import type { LogLine } from "../logs/log-line.model.js";
import type { LogLineRepository, LogListQuery } from "../logs/log-line.repository.js";
import type { CacheBackfill } from "./cache-backfill.js";
import { cacheHorizon, type CacheReads } from "./cache-policy.js";
import type { CacheWriter } from "./cache-writer.js";
import type { JobCacheRepository } from "./job-cache.repository.js";

/** Jobs across VMs, newest first: the listing part of JobListQuery (no command). */
export type JobsQuery = Omit<JobListQuery, "commandId">;

/** The parent of a Vm.jobs page: its jobs are those started at or after it was created. */
export interface VmJobsParent {
  id: string;
  createdAt: Date;
}

/** A page of one job's lines: LogListQuery without the job. */
export type LogsQuery = Omit<LogListQuery, "jobId">;

/** Where the port reads from and what it asks before trusting the cache. */
export interface JobReadsDeps {
  jobs: JobRepository;
  logs: LogLineRepository;
  cache: JobCacheRepository;
  writer: CacheWriter;
  backfill: CacheBackfill;
  gate: CacheReads;
  cacheTtlDays: number;
}

export class JobReads {
  constructor(private readonly deps: JobReadsDeps) {}

  /** One job; `strong` reads DynamoDB with ConsistentRead. Null: no such job. */
  async job(id: string, strong: boolean): Promise<Job | null> {
    const { jobs, writer, gate, cache } = this.deps;
    if (strong) return jobs.get(id, true);
    // What this process wrote last is newer than the cache until the writer flushes it.
    const pending = writer.pendingJob(id);
    if (pending) return pending;
    const cached = await gate.read("jobs", "job", () => cache.getJob(id));
    return cached ?? this.jobFromDynamo(id);
  }

  /** job(id) when the cache did not answer: DynamoDB, then the job and all its lines are backfilled (rule 3). */
  private async jobFromDynamo(id: string): Promise<Job | null> {
    const job = await this.deps.jobs.get(id);
    if (job) this.deps.backfill.job(job);
    return job;
  }

  /**
   * job(id) with a page of its lines, read together: one cache statement when
   * the cache may answer both (the rules of job() and logsOfJobs() at once).
   * `lines` is absent when it may not answer the lines: the caller reads them
   * as Job.logs always does. The job itself is whatever job(id) would answer.
   */
  async jobWithLogs(id: string, q: LogsQuery): Promise<{ job: Job | null; lines?: LogLine[] }> {
    const { writer, gate, cache } = this.deps;
    if (writer.pendingJob(id) || writer.logsIncomplete(id)) return { job: await this.job(id, false) };
    const cached = await gate.read("jobs", "job with logs", () => cache.jobWithLogs(id, q));
    if (!cached) return { job: await this.jobFromDynamo(id) };
    const { job, lines } = cached;
    if (!job.startedAt || job.startedAt < this.horizon()) return { job };
    gate.served("job_logs");
    return { job, lines };
  }

  /** Up to q.limit jobs, newest first (rules 1, 2, 4, 5). */
  async jobs(q: JobsQuery): Promise<Job[]> {
    return (await this.jobsWithLogs(q)).jobs;
  }

  /**
   * jobs(), and with `logs` a page of lines of each listed job the cache may
   * answer the lines of (the rules of logsOfJobs()), read with the list in one
   * cache statement. A job missing from `lines` (a list served by DynamoDB,
   * the part below the horizon, lines still queued): the caller reads its
   * lines as Job.logs always does.
   */
  async jobsWithLogs(q: JobsQuery, logs?: LogsQuery): Promise<{ jobs: Job[]; lines: Map<string, LogLine[]> }> {
    const { jobs, writer, gate, cache } = this.deps;
    const { vmId, status, startedFrom: from, before, limit } = q;
    // Any queued job of these VMs, whatever its status: a queued status change
    // can move a cached row into or out of a status filter.
    const matches = (job: Job) => !vmId || job.vmId === vmId;
    const horizon = this.horizon();
    const trusted = writer.isComplete() && !writer.hasPendingJobs(matches);
    if (!trusted) gate.skipped("jobs");
    if (trusted && this.inCache(before, horizon)) {
      const page = { vmId, status, from: from && from > horizon ? from : horizon, before, limit };
      const cached = await gate.read("jobs", logs ? "jobs with logs" : "jobs", () => cache.listJobs(page, logs), () => true);
      if (cached) {
        // Every row is at or after the horizon (the page's lower bound), so only rule 2 is left for its lines.
        const lines = new Map<string, LogLine[]>();
        for (const row of cached) if (row.lines && !writer.logsIncomplete(row.job.id)) lines.set(row.job.id, row.lines);
        if (lines.size) gate.served("job_logs");
        return { jobs: await this.belowHorizon(cached.map((row) => row.job), q, horizon), lines };
      }
    }
    return { jobs: await jobs.list(q), lines: new Map() };
  }

  /**
   * Vm.jobs for a page of VMs: ONE cache query for all of them, then DynamoDB
   * only for VMs the cache cannot answer completely. A VM's jobs are those with
   * its vmId started at or after its createdAt (a VM re-created under a deleted
   * VM's id does not inherit the old VM's jobs); so a VM created after the
   * horizon is answered by the cache alone.
   */
  async jobsOfVms(vms: readonly VmJobsParent[], q: { status?: JobStatus; before?: TimeKey; limit: number }): Promise<Job[][]> {
    const { jobs, writer, gate, cache } = this.deps;
    const { status, before, limit } = q;
    const horizon = this.horizon();
    const afterInCache = this.inCache(before, horizon);
    const cacheable = vms.filter((vm) => afterInCache && writer.isComplete() && !writer.hasPendingJobs((job) => job.vmId === vm.id));
    const cached = cacheable.length
      ? await gate.read(
          "jobs",
          "jobs of vms",
          () => cache.jobsForVms(cacheable.map((vm) => ({ vmId: vm.id, from: vm.createdAt > horizon ? vm.createdAt : horizon })), { status, before, limit }),
          () => true,
        )
      : undefined;
    if (cacheable.length < vms.length) gate.skipped("jobs");

    return Promise.all(
      vms.map(async (vm) => {
        const one: JobsQuery = { vmId: vm.id, status, startedFrom: vm.createdAt, before, limit };
        const fromCache = cached?.get(vm.id);
        return fromCache ? this.belowHorizon(fromCache, one, horizon) : jobs.list(one);
      }),
    );
  }

  /**
   * Command.jobs for a page of commands: DynamoDB's byCommandId index (the
   * cache has no index by command). DynamoDB has no batched query, so the
   * commands' queries run together and answer together: the joins under them
   * (Job.logs, Job.vm) then batch across the whole page.
   */
  jobsOfCommands(commandIds: readonly string[], q: { before?: TimeKey; limit: number }): Promise<Job[][]> {
    return Promise.all(commandIds.map((commandId) => this.deps.jobs.list({ commandId, before: q.before, limit: q.limit })));
  }

  /**
   * A page of lines of each job, oldest first: ONE cache query for every job
   * the cache may answer, DynamoDB per job for the rest. Null in a job's place:
   * no such job; an Error: that job's read failed (DataLoader's contract), so it
   * fails that job's logs only.
   */
  async logsOfJobs(jobIds: readonly string[], q: LogsQuery): Promise<Array<LogLine[] | null | Error>> {
    const { jobs, logs, writer, gate, cache, backfill } = this.deps;
    const incomplete = jobIds.map((id) => writer.logsIncomplete(id));
    for (const skipped of incomplete) if (skipped) gate.skipped("job_logs");
    const cacheable = jobIds.filter((_, i) => !incomplete[i]);
    const cached = cacheable.length ? await gate.read("job_logs", "logs", () => cache.logsForJobs(cacheable, q), (found) => found.size > 0) : undefined;
    const horizon = this.horizon();

    return Promise.all(
      jobIds.map(async (jobId, i): Promise<LogLine[] | null | Error> => {
        try {
          const one = { jobId, ...q };
          if (cached && !incomplete[i]) {
            const hit = cached.get(jobId);
            if (hit?.jobStartedAt && hit.jobStartedAt >= horizon) return hit.lines;
            if (!hit) {
              // A miss: serve DynamoDB, and backfill the job with all its lines.
              const [job, lines] = await Promise.all([jobs.get(jobId), logs.list(one)]);
              if (!job) return null;
              backfill.job(job);
              return lines;
            }
          }
          // Lines this process has just written may not have reached every replica yet.
          const lines = await logs.list(one, incomplete[i]);
          if (lines.length === 0 && !(await jobs.get(jobId))) return null;
          return lines;
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      }),
    );
  }

  private horizon(): Date {
    return cacheHorizon(this.deps.cacheTtlDays);
  }

  /** Whether a page that continues below `before` may start in the cache (rule 1). */
  private inCache(before: TimeKey | undefined, horizon: Date): boolean {
    return !before || before.at >= keyBefore(horizon).at;
  }

  /** Rule 1's seam: the cache's rows down to the horizon, then DynamoDB strictly below it for the rest of the page. */
  private async belowHorizon(cached: Job[], q: JobsQuery, horizon: Date): Promise<Job[]> {
    if (cached.length >= q.limit || (q.startedFrom && q.startedFrom >= horizon)) return cached;
    const older = await this.deps.jobs.list({ ...q, before: keyBefore(horizon), limit: q.limit - cached.length });
    return [...cached, ...older];
  }
}
