// The cache stream's row writing: a round's records (new images of jobs and
// log items) decoded with the repositories' converters and written to the
// cache in one transaction by JobCacheRepository.upsertIsolating, the same
// monotonic, isolating upsert the CacheWriter uses.
import type { _Record } from "@aws-sdk/client-dynamodb-streams";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { Logger } from "../infra/logger.js";
import { mergeJob, type Job } from "../jobs/job.model.js";
import { toJob, type JobItem, type JobRepository } from "../jobs/job.repository.js";
import type { LogLine } from "../logs/log-line.model.js";
import { toLogLine, type LogItem } from "../logs/log-line.repository.js";
import type { CacheMetrics } from "./cache.metrics.js";
import type { CommittedRows } from "./committed-rows.js";
import type { JobCacheRepository, JobRows } from "./job-cache.repository.js";

/** A stream record's new image as the item it is; undefined for a REMOVE. */
function imageOf<T>(record: _Record): Partial<T> | undefined {
  const image = record.dynamodb?.NewImage;
  return image ? (unmarshall(image as Parameters<typeof unmarshall>[0]) as Partial<T>) : undefined;
}

/**
 * A round's records as the rows they bring: each job folded by mergeJob (a
 * shard's records are in order, so the later copy wins unless it would undo a
 * finish), each job's lines in record order.
 */
export function decodeRound(jobRecords: readonly _Record[], logRecords: readonly _Record[]): { jobs: Map<string, Job>; lines: Map<string, LogLine[]> } {
  const jobs = new Map<string, Job>();
  for (const record of jobRecords) {
    const item = imageOf<JobItem>(record);
    if (!item?.jobId) continue; // a REMOVE: jobs are never deleted by this API, and the cache keeps its row until the purge
    // The item's log claim bookkeeping (logClaimedTs, logPending) is not cached: toJob leaves it out.
    const job = toJob(item as JobItem);
    jobs.set(job.id, mergeJob(jobs.get(job.id), job));
  }
  const lines = new Map<string, LogLine[]>();
  for (const record of logRecords) {
    const item = imageOf<LogItem>(record);
    if (!item?.jobId || !item.ts) continue;
    const line = toLogLine(item as LogItem);
    lines.get(line.jobId)?.push(line) ?? lines.set(line.jobId, [line]);
  }
  return { jobs, lines };
}

export interface StreamRowsDeps {
  jobCache: JobCacheRepository;
  jobs: JobRepository;
  metrics: CacheMetrics;
  logger: Logger;
  /** What this process's write-behind has already written (left out of the upsert); the writer's. */
  writer: { committed: CommittedRows };
}

export class StreamRows {
  constructor(private readonly deps: StreamRowsDeps) {}

  /** Writes one round's records to the cache; throws (nothing advanced) when PostgreSQL cannot take them. */
  async apply(jobRecords: _Record[], logRecords: _Record[]): Promise<void> {
    const { jobs, lines } = decodeRound(jobRecords, logRecords);
    if (jobs.size === 0 && lines.size === 0) return;
    const { committed } = this.deps.writer;

    // Rows this process's write-behind already put in the cache, value for value, are not written twice (committed-rows.ts).
    for (const [jobId, forJob] of lines) {
      const left = committed.unwritten({ jobId, job: undefined, lines: forJob })?.lines ?? [];
      if (left.length) lines.set(jobId, left);
      else lines.delete(jobId);
    }

    // Lines need their job row: written by this process, cached already, in this round, or read from DynamoDB now.
    const unknown = [...lines.keys()].filter((id) => !jobs.has(id) && !committed.wroteJob(id));
    const cached = await this.deps.jobCache.getJobs(unknown);
    const fetched = await Promise.all(unknown.filter((id) => !cached.has(id)).map((id) => this.deps.jobs.get(id, true)));
    for (const job of fetched) if (job) jobs.set(job.id, job);
    for (const id of unknown) {
      if (cached.has(id) || jobs.has(id)) continue;
      this.deps.logger.error({ jobId: id, lines: lines.get(id)!.length }, "cache stream: log lines of a job DynamoDB does not have; skipped");
      lines.delete(id);
    }

    const groups = [...new Set([...jobs.keys(), ...lines.keys()])].flatMap((jobId) => {
      const job = jobs.get(jobId);
      const rows = { jobId, job: job && committed.unwritten({ jobId, job, lines: [] })?.job, lines: lines.get(jobId) ?? [] };
      return rows.job || rows.lines.length ? [rows] : [];
    });
    if (groups.length) await this.upsert(groups);
    this.deps.metrics.streamRecords("jobs", jobRecords.length);
    this.deps.metrics.streamRecords("job_logs", logRecords.length);
  }

  /**
   * One transaction for the round. If PostgreSQL answers but refuses it, job
   * by job, dropping (and reporting) what it refuses, so one bad item cannot
   * stall the stream; if PostgreSQL is unreachable, throws.
   */
  private async upsert(groups: JobRows[]): Promise<void> {
    const { jobCache, metrics, logger } = this.deps;
    const result = await jobCache.upsertIsolating(groups);
    const report = (rows: readonly JobRows[], as: "written" | "writeFailed") => {
      metrics[as]("jobs", rows.filter((r) => r.job).length);
      metrics[as]("job_logs", rows.reduce((n, r) => n + r.lines.length, 0));
    };
    if (result.outcome === "written") return report(groups, "written");
    if (result.outcome === "unreachable") {
      report(groups, "writeFailed");
      throw result.error;
    }
    report(result.written, "written");
    for (const { rows, error } of result.refused) {
      report([rows], "writeFailed");
      logger.error({ err: error, jobId: rows.jobId }, "cache stream: the cache refused a job's rows; skipped (DynamoDB has them)");
    }
    if (result.unwritten.length) throw result.error;
  }

}
