// The server's side of the full resync (cache-resync.ts), on every instance:
//
// - The gate. Every pollMs it reads cache_resync; while a resync is pending
//   (needed or running) pending() is true and the container reports the
//   stream's lag as unknown, so every cache read (lists first) goes to
//   DynamoDB until the resync completes.
// - Detection, on the instance whose stream consumer leads (one per
//   deployment): a resync is needed when the consumer met trimmed records
//   (trimmed(), from cache-stream.ts), when it was last caught up longer ago
//   than the stream keeps records (stream_caught_up_at, which this monitor
//   records while the leader is caught up), or when the cache has no job of
//   the window while DynamoDB has one older than a minute (a lost or new
//   database).
// - The run. Any instance that sees a pending resync tries the resync lock and
//   runs (or resumes) it at CACHE_RESYNC_READ_RATE; a holder elsewhere (the
//   CLI, another instance) is left to it.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { TableNames } from "../infra/dynamodb/tables.js";
import type { Logger } from "../infra/logger.js";
import type { PrismaClient } from "../infra/postgres/prisma.js";
import { cacheHorizon } from "./cache-policy.js";
import { describeProgress, resyncCache } from "./cache-resync.js";
import type { CacheStream } from "./cache-stream.js";
import type { JobCacheRepository } from "./job-cache.repository.js";
import { ReadThrottle, ResyncSource } from "./resync-source.js";
import { ResyncStateStore, isPending, sqlOverPrisma } from "./resync-state.js";

/** DynamoDB Streams keep records 24 h; an hour of margin for clocks and the last round. */
export const STREAM_RETENTION_MS = 23 * 3_600_000;
/** A job this young may simply not be cached yet (the writer's queue, the stream's lag). */
const YOUNG_JOB_MS = 60_000;

export interface ResyncMonitorDeps {
  prisma: PrismaClient;
  databaseUrl: string;
  doc: DynamoDBDocumentClient;
  tables: TableNames;
  jobCache: JobCacheRepository;
  stream: Pick<CacheStream, "status">;
  logger: Logger;
}

export interface ResyncMonitorOptions {
  ttlDays: number;
  readRate: number;
  /** How often the gate reads cache_resync. */
  pollMs: number;
  /** How often the leader checks for an empty cache and records its caught-up time. */
  checkEveryMs: number;
}

export class ResyncMonitor {
  private readonly store: ResyncStateStore;
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> | undefined;
  private running: Promise<void> | undefined;
  private abort = new AbortController();
  private known = false;
  private isPendingNow = false;
  private trimmedSeen = false;
  private leading = false;
  private checkedAt = 0;

  constructor(
    private readonly deps: ResyncMonitorDeps,
    private readonly options: ResyncMonitorOptions,
  ) {
    this.store = new ResyncStateStore(sqlOverPrisma(deps.prisma), deps.tables.jobs);
  }

  /** Whether lists must skip the cache: a resync is pending, or its state is not known yet. */
  pending(): boolean {
    return !this.known || this.isPendingNow;
  }

  /** The stream consumer found records trimmed before it read them. */
  trimmed(): void {
    this.trimmedSeen = true;
  }

  start(): void {
    if (this.timer) return;
    this.abort = new AbortController();
    let failures = 0;
    const loop = () => {
      this.tick = this.poll()
        .then(() => {
          failures = 0;
        })
        .catch((error: unknown) => {
          // Once per outage at warn (PostgreSQL down answers every 2 s).
          const log = failures++ === 0 ? this.deps.logger.warn.bind(this.deps.logger) : this.deps.logger.debug.bind(this.deps.logger);
          log({ err: error, failures }, "cache resync monitor: check failed; will retry");
        })
        .finally(() => {
          if (!this.abort.signal.aborted) this.timer = setTimeout(loop, this.options.pollMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    await this.tick;
    await this.running;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.known = false;
  }

  private async poll(): Promise<void> {
    const leader = this.deps.stream.status().role === "leader";
    if (leader) await this.detect(!this.leading);
    this.leading = leader;
    const state = await this.store.get();
    this.isPendingNow = isPending(state);
    this.known = true;
    if (this.isPendingNow && !this.running) {
      this.running = this.run(state?.reason ?? "needed").finally(() => (this.running = undefined));
    }
  }

  private async detect(newLeader: boolean): Promise<void> {
    const now = Date.now();
    const state = await this.store.get();
    if (this.trimmedSeen) {
      this.trimmedSeen = false;
      return this.need("the stream consumer found records trimmed before it read them");
    }
    if (newLeader && state?.streamCaughtUpAt && now - state.streamCaughtUpAt.getTime() > STREAM_RETENTION_MS) {
      return this.need(`the stream consumer was last caught up at ${state.streamCaughtUpAt.toISOString()}, longer ago than the stream keeps records`);
    }
    if (!newLeader && now - this.checkedAt < this.options.checkEveryMs) return;
    this.checkedAt = now;
    const caughtUp = this.deps.stream.status().caughtUpAt;
    if (caughtUp) await this.store.recordStreamCaughtUp(caughtUp);
    if (isPending(state)) return;
    const horizon = cacheHorizon(this.options.ttlDays, now);
    const cached = await this.deps.prisma.$queryRaw<unknown[]>`SELECT 1 FROM jobs WHERE started_at >= ${horizon} LIMIT 1`;
    if (cached.length > 0) return;
    const source = new ResyncSource(this.deps.doc, this.deps.tables, new ReadThrottle(this.options.readRate));
    if (await source.hasJobs(horizon.toISOString(), new Date(now - YOUNG_JOB_MS).toISOString())) {
      await this.need("the cache has no job of the window while DynamoDB has some (a lost or new database?)");
    }
  }

  private async need(reason: string): Promise<void> {
    this.deps.logger.warn({ reason }, "cache resync needed; lists read DynamoDB until it completes");
    this.isPendingNow = true;
    await this.store.markNeeded(reason);
  }

  private async run(reason: string): Promise<void> {
    const { logger } = this.deps;
    try {
      const result = await resyncCache(
        { databaseUrl: this.deps.databaseUrl, doc: this.deps.doc, tables: this.deps.tables, jobCache: this.deps.jobCache },
        {
          ttlDays: this.options.ttlDays,
          readRate: this.options.readRate,
          reason,
          signal: this.abort.signal,
          progressEveryMs: 10_000,
          onProgress: (p) => logger.info({ resync: p }, `cache resync: ${describeProgress(p)}`),
        },
      );
      if (result.status === "done") {
        logger.info({ jobs: result.jobs, lines: result.lines, since: result.since, resumed: result.resumed }, "cache resync done; lists trust the cache again");
        this.isPendingNow = false;
      }
    } catch (error) {
      if (!this.abort.signal.aborted) logger.error({ err: error }, "cache resync failed; will retry");
    }
  }
}
