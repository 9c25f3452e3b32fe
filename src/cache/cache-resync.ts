// A full resync of the cache from DynamoDB: every job started since the
// window's start (default: now - CACHE_TTL_DAYS) with all its lines, upserted
// through JobCacheRepository (the same monotonic upsert as the writer and the
// stream, so running it beside them, or twice, changes nothing).
//
// - One at a time: a session advisory lock on its own connection. The server
//   only tries it (another holder is doing the work); `make resync-cache`
//   waits for it, then finds the work done or resumes it.
// - "Running" is not stored anywhere: it is this lock being held, which every
//   instance sees in pg_locks (resync-monitor.ts); while it is held, lists
//   skip the cache.
// - Resumable: after each job its cursor (startedAt, jobId: the byStartedAt
//   index's order) and the counts are saved in a state file
//   (resync-state.ts; no table); a run that finds a running checkpoint of the
//   same window there continues after that job. A job is written in chunks and
//   the cursor moves only after its last one, so a kill mid-job redoes that job.
// - Throttled: ReadThrottle holds DynamoDB reads to `readRate` capacity units
//   a second.
import pg from "pg";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { TableNames } from "../infra/dynamodb/tables.js";
import type { LogLine } from "../logs/log-line.model.js";
import { cacheHorizon } from "./cache-policy.js";
import { lockKeyOf } from "../infra/postgres/advisory-lock.js";
import type { JobCacheRepository } from "./job-cache.repository.js";
import { ReadThrottle, ResyncSource } from "./resync-source.js";
import { ResyncStateFile, type ResyncCheckpoint } from "./resync-state.js";

/** pg advisory lock (int, int): "vmor" and a hash of the jobs table's name, so deployments sharing a database do not share it. */
export const RESYNC_LOCK_CLASS = 0x766d6f72;
/** Lines upserted per transaction: a job with a million lines is not one transaction. */
const LINES_PER_WRITE = 5_000;

/** The resync lock's second key: the same hash of the jobs table's name as the stream's lock. */
export const resyncLockKey = lockKeyOf;

export interface ResyncProgress {
  jobsDone: number;
  jobsTotal: number;
  linesDone: number;
  /** From the lines per job so far; undefined before the first job. */
  linesEstimate: number | undefined;
  /** Of this run (a resumed run counts from its resume). */
  jobsPerSecond: number;
  linesPerSecond: number;
  readUnitsPerSecond: number;
  /** undefined until a rate is known. */
  etaMs: number | undefined;
  resumed: boolean;
}

export interface ResyncDeps {
  databaseUrl: string;
  doc: DynamoDBDocumentClient;
  tables: TableNames;
  jobCache: JobCacheRepository;
}

export interface ResyncOptions {
  ttlDays: number;
  /** Start of the window; unset: now - ttlDays (or the pending run's window, when resuming). */
  since?: Date;
  /** DynamoDB read capacity units per second. */
  readRate: number;
  /** Why (kept in the state file, logged). */
  reason: string;
  /** The checkpoint file (resync-state.ts); unset: not resumable. */
  statePath?: string;
  /** Set (the server): a checkpoint that cannot be written is reported here and the run goes on, not resumable; unset (the CLI): the run fails. */
  onStateError?(error: Error): void;
  /** Wait for a resync held elsewhere (the CLI) instead of answering "busy" (the server). */
  wait?: boolean;
  onWaiting?(): void;
  onProgress?(progress: ResyncProgress): void;
  progressEveryMs?: number;
  signal?: AbortSignal;
}

export type ResyncResult =
  | { status: "done"; since: Date; jobs: number; lines: number; resumed: boolean }
  | { status: "busy" }
  /** Another process completed a resync while this one waited for the lock. */
  | { status: "done-elsewhere"; state: ResyncCheckpoint };

export async function resyncCache(deps: ResyncDeps, options: ResyncOptions): Promise<ResyncResult> {
  const session = new pg.Client({ connectionString: deps.databaseUrl, application_name: "vmo-cache-resync", connectionTimeoutMillis: 5_000 });
  session.on("error", () => undefined); // a lost session fails the next query, which ends the run
  await session.connect();
  try {
    const lock = [RESYNC_LOCK_CLASS, resyncLockKey(deps.tables.jobs)];
    const { rows } = await session.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS locked", lock);
    const asked = Date.now();
    if (!rows[0]?.locked) {
      if (!options.wait) return { status: "busy" };
      options.onWaiting?.();
      await session.query("SELECT pg_advisory_lock($1, $2)", lock);
    }
    const store = options.statePath ? new ResyncStateFile(options.statePath, deps.tables.jobs) : undefined;
    const state = (await store?.read()) ?? null;
    // The run it waited for kept its checkpoint in the same file and completed.
    if (state?.status === "done" && state.finishedAt && Date.parse(state.finishedAt) >= asked && !options.since) {
      return { status: "done-elsewhere", state };
    }
    return await run(deps, options, store, state);
  } finally {
    await session.end().catch(() => undefined);
  }
}

async function run(
  deps: ResyncDeps,
  options: ResyncOptions,
  store: ResyncStateFile | undefined,
  state: ResyncCheckpoint | null,
): Promise<ResyncResult> {
  const resume = state?.status === "running" && (!options.since || options.since.getTime() === Date.parse(state.since));
  const since = resume ? new Date(state!.since) : (options.since ?? cacheHorizon(options.ttlDays));
  const cursor = resume ? state!.cursor : null;
  let jobsDone = resume ? state!.jobsDone : 0;
  let linesDone = resume ? state!.linesDone : 0;
  const startedAt = resume ? state!.startedAt : new Date().toISOString();
  const reason = resume ? state!.reason : options.reason;
  let saving = store;
  const save = async (status: "running" | "done", at: typeof cursor) => {
    const finishedAt = status === "done" ? new Date().toISOString() : null;
    try {
      await saving?.write({ status, reason, since: since.toISOString(), cursor: at, jobsDone, linesDone, startedAt, finishedAt });
    } catch (error) {
      if (!options.onStateError) throw error;
      options.onStateError(error as Error);
      saving = undefined; // reported once; the rest of the run is not resumable
    }
  };
  await save("running", cursor);

  const throttle = new ReadThrottle(options.readRate);
  const source = new ResyncSource(deps.doc, deps.tables, throttle, options.signal);
  const sinceKey = since.toISOString();
  let jobsTotal = await source.countJobs(sinceKey);

  const started = Date.now();
  const startJobs = jobsDone;
  const startLines = linesDone;
  let reportedAt = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (!options.onProgress || (!force && now - reportedAt < (options.progressEveryMs ?? 1_000))) return;
    reportedAt = now;
    const seconds = Math.max(0.001, (now - started) / 1000);
    const jobsPerSecond = (jobsDone - startJobs) / seconds;
    jobsTotal = Math.max(jobsTotal, jobsDone);
    options.onProgress({
      jobsDone,
      jobsTotal,
      linesDone,
      linesEstimate: jobsDone > 0 ? Math.round((linesDone / jobsDone) * jobsTotal) : undefined,
      jobsPerSecond,
      linesPerSecond: (linesDone - startLines) / seconds,
      readUnitsPerSecond: throttle.spent / seconds,
      etaMs: jobsPerSecond > 0 ? ((jobsTotal - jobsDone) / jobsPerSecond) * 1000 : undefined,
      resumed: resume,
    });
  };

  for await (const { job, cursor: at } of source.jobs(sinceKey, cursor)) {
    if (options.signal?.aborted) throw new Error("resync stopped");
    let first = true;
    let pending: LogLine[] = [];
    for await (const page of source.lines(job.id)) {
      pending.push(...page);
      if (pending.length >= LINES_PER_WRITE) {
        await deps.jobCache.upsert(first ? [job] : [], pending);
        linesDone += pending.length;
        first = false;
        pending = [];
      }
      report();
    }
    await deps.jobCache.upsert([job], pending);
    linesDone += pending.length;
    jobsDone++;
    await save("running", at);
    report();
  }
  await save("done", null);
  report(true);
  return { status: "done", since, jobs: jobsDone, lines: linesDone, resumed: resume };
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** One progress line: "jobs 120/500, lines 8,000 of ~33,000, 40 jobs/s, 2,600 lines/s, 95 read units/s, ~10s left". */
export function describeProgress(p: ResyncProgress): string {
  const lines = p.linesEstimate === undefined ? `lines ${count(p.linesDone)}` : `lines ${count(p.linesDone)} of ~${count(Math.max(p.linesEstimate, p.linesDone))}`;
  const left = p.etaMs === undefined ? "time left unknown" : `~${duration(p.etaMs)} left`;
  return `jobs ${count(p.jobsDone)}/${count(p.jobsTotal)}, ${lines}, ${count(p.jobsPerSecond)} jobs/s, ${count(p.linesPerSecond)} lines/s, ${count(p.readUnitsPerSecond)} read units/s, ${left}`;
}
