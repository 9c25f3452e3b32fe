// The cache's durable catch-up: DynamoDB Streams of the jobs and logs tables
// (NEW_IMAGE) replayed into PostgreSQL through JobCacheRepository's isolating
// upsert, the same monotonic upsert the CacheWriter uses. This file runs the
// loops; the three jobs are one file each: the election (stream-election.ts),
// the shard walking (stream-shards.ts), the row writing (stream-rows.ts).
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
//   unknown); JobReads (job-reads.ts, rule 5) trusts the cache only while it is small.
//
// Past 24 hours without a consumer (PostgreSQL down that long), DynamoDB trims
// records the cache never saw; see the README.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { TableNames } from "../infra/dynamodb/tables.js";
import type { Logger } from "../infra/logger.js";
import type { JobRepository } from "../jobs/job.repository.js";
import type { CacheMetrics } from "./cache.metrics.js";
import type { CacheWriter } from "./cache-writer.js";
import type { JobCacheRepository } from "./job-cache.repository.js";
import { SessionLost, StreamElection } from "./stream-election.js";
import { StreamRows } from "./stream-rows.js";
import { StreamShards } from "./stream-shards.js";

export { readyShards, type Shard } from "./stream-shards.js";

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

export class CacheStream {
  private readonly options: CacheStreamOptions;
  private readonly election: StreamElection;
  private readonly rows: StreamRows;
  private role: CacheStreamRole = "stopped";
  private loop: Promise<void> | undefined;
  private abort = new AbortController();
  /** Leader: its own; follower: the leader's, as last read. Epoch ms. */
  private caughtUpAt: number | undefined;
  private lastDropAt = 0;
  private readonly onDropped = () => (this.lastDropAt = Date.now());

  constructor(
    private readonly deps: CacheStreamDeps,
    options: Partial<CacheStreamOptions> = {},
  ) {
    this.options = { ...DEFAULT_CACHE_STREAM_OPTIONS, ...options };
    this.election = new StreamElection(deps.databaseUrl, deps.tables.jobs);
    this.rows = new StreamRows(deps);
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
    await this.election.close();
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
        const { led } = await this.election.tryLead(async () => {
          failures = 0;
          this.role = "leader";
          this.deps.logger.info({ table: this.deps.tables.jobs }, "cache stream: this instance consumes (lock acquired); replaying from TRIM_HORIZON");
          try {
            await this.deps.onLeading?.().catch((error: unknown) => this.deps.logger.warn({ err: error }, "cache stream: the resync's check on taking the lead failed"));
            await this.consume();
          } finally {
            this.role = "follower";
            this.caughtUpAt = undefined;
          }
        });
        if (!led) {
          failures = 0;
          this.caughtUpAt = await this.election.leaderCaughtUp();
        }
      } catch (error) {
        failures++;
        this.caughtUpAt = undefined;
        await this.election.close();
        const log = failures === 1 ? this.deps.logger.warn.bind(this.deps.logger) : this.deps.logger.debug.bind(this.deps.logger);
        if (!this.abort.signal.aborted) log({ err: error, failures }, "cache stream: no lock session (PostgreSQL unreachable?); will retry");
      }
      await this.sleep(failures ? this.backoff(failures) : this.options.electionRetryMs);
    }
  }

  // ---- consuming ----

  /** Leader: rounds until stopped or the lock session is lost. A new leader replays every shard from TRIM_HORIZON. */
  private async consume(): Promise<void> {
    const shards = new StreamShards(this.deps, this.options, () => this.abort.signal);
    let failures = 0;
    await this.election.heartbeat(this.caughtUpAt);
    while (!this.abort.signal.aborted) {
      const roundStart = Date.now();
      let read = 0;
      try {
        const round = await shards.read(roundStart);
        read = round.read;
        await this.rows.apply(round.records.jobs, round.records.logs);
        round.commit();
        failures = 0;
      } catch (error) {
        if (error instanceof SessionLost || this.abort.signal.aborted) throw error;
        failures++;
        shards.rewind();
        this.deps.logger.warn({ err: error, failures }, "cache stream: round failed; will retry");
        await this.election.heartbeat(this.caughtUpAt);
        await this.sleep(this.backoff(failures));
        continue;
      }
      if (read === 0 && !shards.stale) {
        this.caughtUpAt = roundStart;
        // Writes this process dropped from its queue before roundStart are in the cache now.
        if (this.lastDropAt < roundStart) this.deps.writer.markCaughtUp();
      }
      await this.election.heartbeat(this.caughtUpAt);
      if (read === 0) await this.sleep(this.options.idlePollMs);
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
