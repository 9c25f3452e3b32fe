// The cache's durable catch-up: DynamoDB Streams of the jobs and logs tables
// (NEW_IMAGE) replayed into PostgreSQL through JobCacheRepository.upsert, the
// same monotonic upsert the CacheWriter uses.
//
// Why a stream: every write any instance makes is in it for 24 hours, whether
// or not that instance lived to write the cache, so nothing depends on one
// process's memory. One consumer per deployment reads it:
//
// - Election. The consumer holds a PostgreSQL session advisory lock on a
//   dedicated connection (keepalives on). The others retry every
//   electionRetryMs; a SIGKILLed leader's connection closes, its lock goes with
//   it, and the next try takes over. While Postgres is down nobody holds it
//   and nothing is consumed (there is nowhere to write); the stream keeps the
//   records. Two consumers for a moment (a partition the leader has not
//   noticed yet) are harmless: the upserts are idempotent and monotonic.
// - Replay. A new leader reads every shard from TRIM_HORIZON (no checkpoint to
//   keep or lose): replaying a job or line already cached rewrites the same
//   values, and a running copy never overwrites a finished one.
// - Order. A shard is read after its parent is finished (or gone), so a job's
//   records stay in order. Jobs' shards are read before logs' in each round,
//   and a line whose job row is not cached yet brings that job, read from
//   DynamoDB with a consistent read, into the same transaction.
// - Lag. A round that finds every shard at its tip, after everything read
//   before it is in PostgreSQL, makes "caught up at <round start>": every
//   write visible in the stream by then is cached. The leader publishes that
//   time as its lock session's application_name; the other instances read it
//   when they retry the lock. lagMs() is how long ago that was (Infinity:
//   unknown); cache-policy.ts trusts the cache only while it is small.
//
// Past 24 hours without a consumer (PostgreSQL down that long), DynamoDB trims
// records the cache never saw; see the README.
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ResourceNotFoundException,
  TrimmedDataAccessException,
  type _Record,
  type AttributeValue,
  type DynamoDBStreamsClient,
} from "@aws-sdk/client-dynamodb-streams";
import pg from "pg";
import type { TableNames } from "../infra/dynamodb/tables.js";
import type { Logger } from "../infra/logger.js";
import type { Job } from "../jobs/job.model.js";
import { toJob, type JobItem, type JobRepository } from "../jobs/job.repository.js";
import type { LogLine, LogStream } from "../logs/log-line.model.js";
import type { CacheMetrics } from "./cache.metrics.js";
import type { CacheWriter } from "./cache-writer.js";
import type { JobCacheRepository } from "./job-cache.repository.js";

export interface CacheStreamOptions {
  /** Pause between rounds once every shard is at its tip. */
  idlePollMs: number;
  /** How often a non-leader retries the lock (and reads the leader's lag). */
  electionRetryMs: number;
  /** How often the leader looks for new shards (also whenever a shard closes). */
  describeEveryMs: number;
  /** First backoff after a failed round; doubles up to maxBackoffMs. */
  errorBackoffMs: number;
  maxBackoffMs: number;
  /** GetRecords Limit (DynamoDB's maximum is 1000). */
  recordsPerCall: number;
}

export const DEFAULT_CACHE_STREAM_OPTIONS: CacheStreamOptions = {
  idlePollMs: 500,
  electionRetryMs: 2_000,
  describeEveryMs: 10_000,
  errorBackoffMs: 250,
  maxBackoffMs: 10_000,
  recordsPerCall: 1_000,
};

export interface CacheStreamDeps {
  dynamo: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  tables: TableNames;
  /** The URL of the cache's database: the lock lives on its own connection there. */
  databaseUrl: string;
  jobCache: JobCacheRepository;
  jobs: JobRepository;
  writer: CacheWriter;
  metrics: CacheMetrics;
  logger: Logger;
  /** Records were trimmed before the cache read them: the full resync (resync-monitor.ts) takes it from here. */
  onTrimmed?(): void;
  /** This instance just took the lock, before its replay writes anything: the full resync looks at what the cache held (resync-monitor.ts). */
  onLeading?(): Promise<void>;
}

export type CacheStreamRole = "stopped" | "follower" | "leader";

type StreamTable = "jobs" | "logs";

export interface Shard {
  table: StreamTable;
  arn: string;
  id: string;
  parentId: string | undefined;
  iterator: string | undefined;
  /** The last record applied: where a lost or expired iterator resumes. */
  lastSeq: string | undefined;
  done: boolean;
}

/** pg_try_advisory_lock(int, int) keys: "vmos" and the jobs table's name, so two deployments sharing a database do not share a consumer. */
const LOCK_CLASS = 0x766d6f73;
const APP_NAME = "vmo-cache-stream";

export function lockKey(name: string): number {
  let hash = 0x811c9dc5;
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash & 0x7fffffff;
}

const shardKey = (arn: string, id: string) => `${arn}|${id}`;

/**
 * The fields the cache keeps are strings (and numbers, kept as their text).
 * A job item's logPending map is the log's claim bookkeeping (JobRepository), not cached.
 */
function decode(image: Record<string, AttributeValue> | undefined): Record<string, string> | undefined {
  if (!image) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(image)) {
    if (value.S !== undefined) out[name] = value.S;
    else if (value.N !== undefined) out[name] = value.N;
  }
  return out;
}

/** Of two copies of one job, the later one, except that finished beats running. */
function later(current: Job | undefined, incoming: Job): Job {
  return current && current.status !== "running" && incoming.status === "running" ? current : incoming;
}

/** Open shards whose parent is finished or gone (trimmed): a job's records stay in order. Jobs' before logs'. */
export function readyShards(shards: ReadonlyMap<string, Shard>): Shard[] {
  const ready = [...shards.values()].filter((shard) => {
    if (shard.done) return false;
    const parent = shard.parentId ? shards.get(shardKey(shard.arn, shard.parentId)) : undefined;
    return !parent || parent.done;
  });
  return ready.sort((a, b) => (a.table === b.table ? 0 : a.table === "jobs" ? -1 : 1));
}

class SessionLost extends Error {}

export class CacheStream {
  private readonly options: CacheStreamOptions;
  private readonly lockId: number;
  private role: CacheStreamRole = "stopped";
  private loop: Promise<void> | undefined;
  private abort = new AbortController();
  private session: pg.Client | undefined;
  private sessionLost = false;
  /** Leader: its own; follower: the leader's, as last read. Epoch ms. */
  private caughtUpAt: number | undefined;
  private lastDropAt = 0;
  private readonly onDropped = () => (this.lastDropAt = Date.now());

  constructor(
    private readonly deps: CacheStreamDeps,
    options: Partial<CacheStreamOptions> = {},
  ) {
    this.options = { ...DEFAULT_CACHE_STREAM_OPTIONS, ...options };
    this.lockId = lockKey(deps.tables.jobs);
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.role = "follower";
    this.deps.writer.on("dropped", this.onDropped);
    this.loop = this.run();
  }

  /** Stops consuming, releases the lock (closing its session) and waits for the loop to end. */
  async stop(): Promise<void> {
    if (!this.loop) return;
    this.abort.abort();
    await this.loop;
    this.loop = undefined;
    this.deps.writer.off("dropped", this.onDropped);
    await this.closeSession();
    this.role = "stopped";
    this.caughtUpAt = undefined;
  }

  status(): { role: CacheStreamRole; caughtUpAt: Date | undefined; lagMs: number } {
    return { role: this.role, caughtUpAt: this.caughtUpAt === undefined ? undefined : new Date(this.caughtUpAt), lagMs: this.lagMs() };
  }

  /** How far behind the cache may be, as this instance knows it; Infinity when unknown (no leader, replaying, Postgres down). */
  lagMs(now = Date.now()): number {
    return this.caughtUpAt === undefined ? Number.POSITIVE_INFINITY : Math.max(0, now - this.caughtUpAt);
  }

  /** Whether every write made before `at` is known to be in the cache. */
  caughtUpSince(at: Date): boolean {
    return this.caughtUpAt !== undefined && this.caughtUpAt >= at.getTime();
  }

  // ---- election ----

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        const session = await this.openSession();
        const { rows } = await session.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS locked", [LOCK_CLASS, this.lockId]);
        failures = 0;
        if (rows[0]?.locked) {
          this.role = "leader";
          this.deps.logger.info({ table: this.deps.tables.jobs }, "cache stream: this instance consumes (lock acquired); replaying from TRIM_HORIZON");
          try {
            await this.deps.onLeading?.().catch((error: unknown) => this.deps.logger.warn({ err: error }, "cache stream: the resync's check on taking the lead failed"));
            await this.consume(session);
          } finally {
            this.role = "follower";
            this.caughtUpAt = undefined;
            await session.query("SELECT pg_advisory_unlock($1, $2)", [LOCK_CLASS, this.lockId]).catch(() => undefined);
          }
        } else {
          this.caughtUpAt = await this.readLeaderCaughtUp(session);
        }
      } catch (error) {
        failures++;
        this.caughtUpAt = undefined;
        await this.closeSession();
        const log = failures === 1 ? this.deps.logger.warn.bind(this.deps.logger) : this.deps.logger.debug.bind(this.deps.logger);
        if (!this.abort.signal.aborted) log({ err: error, failures }, "cache stream: no lock session (PostgreSQL unreachable?); will retry");
      }
      await this.sleep(failures ? this.backoff(failures) : this.options.electionRetryMs);
    }
  }

  private async openSession(): Promise<pg.Client> {
    if (this.session && !this.sessionLost) return this.session;
    await this.closeSession();
    const client = new pg.Client({
      connectionString: this.deps.databaseUrl,
      application_name: APP_NAME,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    this.sessionLost = false;
    client.on("error", () => (this.sessionLost = true));
    client.on("end", () => (this.sessionLost = true));
    this.session = client;
    await client.connect();
    // A partitioned leader's lock is released within ~30 s, not at the OS's TCP timeout.
    await client.query("SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 4; SET statement_timeout = '10s'");
    return client;
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session) await session.end().catch(() => undefined);
  }

  private async readLeaderCaughtUp(session: pg.Client): Promise<number | undefined> {
    const { rows } = await session.query<{ name: string }>(
      `SELECT a.application_name AS name
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
         AND l.classid = $1::int::oid AND l.objid = $2::int::oid
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [LOCK_CLASS, this.lockId],
    );
    const match = /^vmo-cache-stream caught-up (\d+)$/.exec(rows[0]?.name ?? "");
    return match ? Number(match[1]) : undefined;
  }

  /** Publishes the leader's state and proves its lock session is alive. */
  private async heartbeat(session: pg.Client): Promise<void> {
    if (this.sessionLost) throw new SessionLost("the lock session was lost");
    const name = this.caughtUpAt === undefined ? `${APP_NAME} replaying` : `${APP_NAME} caught-up ${this.caughtUpAt}`;
    try {
      await session.query("SELECT set_config('application_name', $1, false)", [name]);
    } catch (error) {
      throw new SessionLost("the lock session was lost", { cause: error });
    }
  }

  // ---- consuming ----

  private async consume(session: pg.Client): Promise<void> {
    const shards = new Map<string, Shard>();
    let describedAt = 0;
    let mustDescribe = true;
    let failures = 0;
    await this.heartbeat(session);
    while (!this.abort.signal.aborted) {
      const roundStart = Date.now();
      let read = 0;
      const touched: Shard[] = [];
      try {
        if (mustDescribe || roundStart - describedAt >= this.options.describeEveryMs) {
          await this.describe(shards);
          describedAt = roundStart;
          mustDescribe = false;
        }
        const records: Record<StreamTable, _Record[]> = { jobs: [], logs: [] };
        const advance: Array<() => void> = [];
        for (const shard of readyShards(shards)) {
          touched.push(shard);
          const out = await this.getRecords(shard);
          if (!out) continue;
          records[shard.table].push(...out.records);
          read += out.records.length;
          const lastSeq = out.records.at(-1)?.dynamodb?.SequenceNumber;
          advance.push(() => {
            shard.iterator = out.next;
            if (lastSeq) shard.lastSeq = lastSeq;
            if (!out.next) {
              shard.done = true;
              mustDescribe = true;
            }
          });
        }
        await this.apply(records.jobs, records.logs);
        for (const step of advance) step();
        failures = 0;
      } catch (error) {
        if (error instanceof SessionLost || this.abort.signal.aborted) throw error;
        failures++;
        // Re-read this round's records from where each shard was last applied.
        for (const shard of touched) shard.iterator = undefined;
        this.deps.logger.warn({ err: error, failures }, "cache stream: round failed; will retry");
        await this.heartbeat(session);
        await this.sleep(this.backoff(failures));
        continue;
      }
      if (read === 0 && !mustDescribe) {
        this.caughtUpAt = roundStart;
        // Writes this process dropped from its queue before roundStart are in the cache now.
        if (this.lastDropAt < roundStart) this.deps.writer.markCaughtUp();
      }
      await this.heartbeat(session);
      if (read === 0) await this.sleep(this.options.idlePollMs);
    }
  }

  private async describe(shards: Map<string, Shard>): Promise<void> {
    const seen = new Set<string>();
    for (const table of ["jobs", "logs"] as const) {
      const TableName = this.deps.tables[table];
      const { Table } = await this.deps.dynamo.send(new DescribeTableCommand({ TableName }), { abortSignal: this.abort.signal });
      const arn = Table?.LatestStreamArn;
      if (!arn || !Table?.StreamSpecification?.StreamEnabled) throw new Error(`table ${TableName} has no stream enabled (ensureTables enables it)`);
      let start: string | undefined;
      do {
        const out = await this.deps.streams.send(new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: start }), {
          abortSignal: this.abort.signal,
        });
        for (const s of out.StreamDescription?.Shards ?? []) {
          const key = shardKey(arn, s.ShardId!);
          seen.add(key);
          if (!shards.has(key)) {
            shards.set(key, { table, arn, id: s.ShardId!, parentId: s.ParentShardId, iterator: undefined, lastSeq: undefined, done: false });
          }
        }
        start = out.StreamDescription?.LastEvaluatedShardId;
      } while (start);
    }
    // Finished shards DynamoDB has trimmed are forgotten; their children then count them as done.
    for (const [key, shard] of shards) if (shard.done && !seen.has(key)) shards.delete(key);
  }

  /** The shard's next records, or undefined when the shard is gone. */
  private async getRecords(shard: Shard): Promise<{ records: _Record[]; next: string | undefined } | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        shard.iterator ??= await this.iterator(shard);
        const out = await this.deps.streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: this.options.recordsPerCall }), {
          abortSignal: this.abort.signal,
        });
        return { records: out.Records ?? [], next: out.NextShardIterator };
      } catch (error) {
        if (attempt > 0) throw error;
        if (error instanceof ExpiredIteratorException) {
          shard.iterator = undefined;
        } else if (error instanceof TrimmedDataAccessException) {
          this.deps.logger.error({ shard: shard.id, table: shard.table }, "cache stream: records were trimmed before the cache read them (consumer down > 24 h?)");
          shard.iterator = undefined;
          shard.lastSeq = undefined;
          this.deps.onTrimmed?.();
        } else if (error instanceof ResourceNotFoundException) {
          shard.done = true;
          return undefined;
        } else {
          throw error;
        }
      }
    }
  }

  private async iterator(shard: Shard): Promise<string> {
    const out = await this.deps.streams.send(
      new GetShardIteratorCommand({
        StreamArn: shard.arn,
        ShardId: shard.id,
        ...(shard.lastSeq
          ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER" as const, SequenceNumber: shard.lastSeq }
          : { ShardIteratorType: "TRIM_HORIZON" as const }),
      }),
      { abortSignal: this.abort.signal },
    );
    if (!out.ShardIterator) throw new Error(`no iterator for shard ${shard.id}`);
    return out.ShardIterator;
  }

  /** Writes one round's records to the cache; throws (nothing advanced) when PostgreSQL cannot take them. */
  private async apply(jobRecords: _Record[], logRecords: _Record[]): Promise<void> {
    const jobs = new Map<string, Job>();
    for (const record of jobRecords) {
      const item = decode(record.dynamodb?.NewImage);
      if (!item?.jobId) continue; // a REMOVE: jobs are never deleted by this API, and the cache keeps its row until the purge
      const job = toJob(item as unknown as JobItem);
      jobs.set(job.id, later(jobs.get(job.id), job));
    }
    const lines = new Map<string, LogLine[]>();
    for (const record of logRecords) {
      const item = decode(record.dynamodb?.NewImage);
      if (!item?.jobId || !item.ts) continue;
      const line: LogLine = { jobId: item.jobId, ts: item.ts, stream: item.stream as LogStream, data: item.data ?? "" };
      lines.get(line.jobId)?.push(line) ?? lines.set(line.jobId, [line]);
    }
    if (jobs.size === 0 && lines.size === 0) return;

    // Lines need their job row: cached already, in this round, or read from DynamoDB now.
    const unknown = [...lines.keys()].filter((id) => !jobs.has(id));
    const cached = await this.deps.jobCache.getJobs(unknown);
    const fetched = await Promise.all(unknown.filter((id) => !cached.has(id)).map((id) => this.deps.jobs.get(id, true)));
    for (const job of fetched) if (job) jobs.set(job.id, job);
    for (const id of unknown) {
      if (cached.has(id) || jobs.has(id)) continue;
      this.deps.logger.error({ jobId: id, lines: lines.get(id)!.length }, "cache stream: log lines of a job DynamoDB does not have; skipped");
      lines.delete(id);
    }

    await this.upsert([...jobs.values()], [...lines.values()].flat());
    this.deps.metrics.streamRecords("jobs", jobRecords.length);
    this.deps.metrics.streamRecords("job_logs", logRecords.length);
  }

  /**
   * One transaction for the round. If PostgreSQL answers but refuses it, job
   * by job, dropping (and reporting) what it refuses, so one bad item cannot
   * stall the stream; if PostgreSQL is unreachable, throws.
   */
  private async upsert(jobs: Job[], lines: LogLine[]): Promise<void> {
    const { jobCache, metrics, logger } = this.deps;
    try {
      await jobCache.upsert(jobs, lines);
      metrics.written("jobs", jobs.length);
      metrics.written("job_logs", lines.length);
      return;
    } catch (error) {
      if (!(await jobCache.reachable())) {
        metrics.writeFailed("jobs", jobs.length);
        metrics.writeFailed("job_logs", lines.length);
        throw error;
      }
    }
    const byJob = new Map<string, LogLine[]>();
    for (const line of lines) byJob.get(line.jobId)?.push(line) ?? byJob.set(line.jobId, [line]);
    const jobById = new Map(jobs.map((j) => [j.id, j]));
    for (const id of new Set([...jobById.keys(), ...byJob.keys()])) {
      const job = jobById.get(id);
      const its = byJob.get(id) ?? [];
      try {
        await jobCache.upsert(job ? [job] : [], its);
        metrics.written("jobs", job ? 1 : 0);
        metrics.written("job_logs", its.length);
      } catch (error) {
        if (!(await jobCache.reachable())) throw error;
        metrics.writeFailed("jobs", job ? 1 : 0);
        metrics.writeFailed("job_logs", its.length);
        logger.error({ err: error, jobId: id }, "cache stream: the cache refused a job's rows; skipped (DynamoDB has them)");
      }
    }
  }

  // ---- timing ----

  private backoff(failures: number): number {
    const ceiling = Math.min(this.options.maxBackoffMs, this.options.errorBackoffMs * 2 ** (failures - 1));
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done);
    });
  }
}
