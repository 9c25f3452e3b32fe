// The server's side of the full resync (cache-resync.ts), on every instance.
// No state is stored for it in PostgreSQL (which holds only the seed's three
// tables): whether a resync is running is derived, and what starts one is
// seen by the instance that leads.
//
// - The gate. Every pollMs it asks pg_locks whether the resync lock is held
//   (by any instance or a `make resync-cache`); while it is, or while this
//   instance has found a resync needed and not completed it yet, pending() is
//   true and the container reports the stream's lag as unknown, so every
//   cache read (lists first) goes to DynamoDB.
// - Detection, on the instance whose stream consumer leads (one per
//   deployment): a resync is needed when the consumer met trimmed records
//   (trimmed(), from cache-stream.ts); when, as it takes the lead and before
//   its replay writes, the cache's newest write (jobs.cached_at) is older than
//   the stream keeps records while DynamoDB has jobs started since (leading(),
//   the consumer away > 23 h: its replay from TRIM_HORIZON cannot fill that
//   gap and meets no trimmed error); or when the cache has no job of the
//   window while DynamoDB has one older than a minute (a lost or new
//   database, tables emptied). A run of this instance's that a kill cut short
//   (its checkpoint file under DATA_DIR says "running") is needed too, and
//   resumed.
// - The run. The instance that found it needed takes the resync lock and runs
//   (or resumes) it at CACHE_RESYNC_READ_RATE; the lock taken, every other
//   instance sees it held. If the lock is held elsewhere (the CLI, another
//   instance), that holder does the work.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { TableNames } from "../infra/dynamodb/tables.js";
import type { Logger } from "../infra/logger.js";
import { isAdvisoryLockHeld, sqlOverPrisma, type Sql } from "../infra/postgres/advisory-lock.js";
import type { PrismaClient } from "../infra/postgres/prisma.js";
import { cacheHorizon } from "./cache-policy.js";
import { RESYNC_LOCK_CLASS, describeProgress, resyncCache, resyncLockKey } from "./cache-resync.js";
import type { CacheStream } from "./cache-stream.js";
import type { JobCacheRepository } from "./job-cache.repository.js";
import { ReadThrottle, ResyncSource } from "./resync-source.js";
import { ResyncStateFile } from "./resync-state.js";

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
  /** How often the gate asks whether the resync lock is held. */
  pollMs: number;
  /** How often the leader checks for an empty cache. */
  checkEveryMs: number;
  /** This instance's checkpoint file (resync-state.ts defaultStatePath under DATA_DIR). */
  statePath: string;
}

export class ResyncMonitor {
  private readonly sql: Sql;
  private readonly lockKey: number;
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> | undefined;
  private running: Promise<void> | undefined;
  private abort = new AbortController();
  private known = false;
  private lockHeld = false;
  /** Why this instance wants a resync it has not completed yet (undefined: none). */
  private needed: string | undefined;
  private wasLeader = false;
  private checkedAt = 0;
  private resumeChecked = false;

  constructor(
    private readonly deps: ResyncMonitorDeps,
    private readonly options: ResyncMonitorOptions,
  ) {
    this.sql = sqlOverPrisma(deps.prisma);
    this.lockKey = resyncLockKey(deps.tables.jobs);
  }

  /** Whether lists must skip the cache: a resync is needed or running, or that is not known yet. */
  pending(): boolean {
    return !this.known || this.lockHeld || this.needed !== undefined || this.running !== undefined;
  }

  /** The stream consumer (the leader) found records trimmed before it read them: needed from now on; the next poll runs it. */
  trimmed(): void {
    this.need("the stream consumer found records trimmed before it read them");
  }

  /**
   * The stream consumer of this instance just took the lead, before its
   * replay: if nothing was written to the cache for longer than the stream
   * keeps records while DynamoDB has jobs started since, records were lost.
   */
  async leading(): Promise<void> {
    const now = Date.now();
    const rows = await this.deps.prisma.$queryRaw<Array<{ last: Date | null }>>`SELECT max(cached_at) AS last FROM jobs`;
    const last = rows[0]?.last;
    if (!last || now - last.getTime() <= STREAM_RETENTION_MS) return; // an empty cache: detect() sees it
    const horizon = cacheHorizon(this.options.ttlDays, now);
    const from = last > horizon ? last : horizon;
    const source = new ResyncSource(this.deps.doc, this.deps.tables, new ReadThrottle(this.options.readRate));
    if (await source.hasJobs(from.toISOString(), new Date(now - YOUNG_JOB_MS).toISOString())) {
      this.need(`nothing was written to the cache since ${last.toISOString()}, longer ago than the stream keeps records, while DynamoDB has jobs started since`);
    }
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
    if (!this.resumeChecked) {
      // A run of this instance's cut short by a kill: still needed, resumed from its checkpoint.
      const left = await new ResyncStateFile(this.options.statePath, this.deps.tables.jobs).read().catch((error: unknown) => {
        this.deps.logger.warn({ err: error }, "cache resync: its checkpoint cannot be read; not resuming");
        return null;
      });
      if (left?.status === "running") this.need(`resuming the resync cut short (${left.reason}; ${left.jobsDone} jobs were done)`);
      this.resumeChecked = true;
    }
    const leader = this.deps.stream.status().role === "leader";
    if (leader) await this.detect(!this.wasLeader);
    this.wasLeader = leader;
    this.lockHeld = await isAdvisoryLockHeld(this.sql, RESYNC_LOCK_CLASS, this.lockKey);
    this.known = true;
    if (this.needed !== undefined && !this.running && !this.abort.signal.aborted) {
      const reason = this.needed;
      this.running = this.run(reason).finally(() => (this.running = undefined));
    }
  }

  private async detect(newLeader: boolean): Promise<void> {
    const now = Date.now();
    if (this.needed !== undefined || this.running) return;
    if (!newLeader && now - this.checkedAt < this.options.checkEveryMs) return;
    this.checkedAt = now;
    // A resync running elsewhere fills the cache: not a lost database.
    if (await isAdvisoryLockHeld(this.sql, RESYNC_LOCK_CLASS, this.lockKey)) return;
    const horizon = cacheHorizon(this.options.ttlDays, now);
    const cached = await this.deps.prisma.$queryRaw<unknown[]>`SELECT 1 FROM jobs WHERE started_at >= ${horizon} LIMIT 1`;
    if (cached.length > 0) return;
    const source = new ResyncSource(this.deps.doc, this.deps.tables, new ReadThrottle(this.options.readRate));
    if (await source.hasJobs(horizon.toISOString(), new Date(now - YOUNG_JOB_MS).toISOString())) {
      this.need("the cache has no job of the window while DynamoDB has some (a lost or new database?)");
    }
  }

  private need(reason: string): void {
    if (this.needed === undefined) this.deps.logger.warn({ reason }, "cache resync needed; lists read DynamoDB until it completes");
    this.needed = reason;
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
          statePath: this.options.statePath,
          onStateError: (error) => logger.warn({ err: error }, "cache resync: its checkpoint cannot be written (DATA_DIR not writable?); going on, not resumable"),
          signal: this.abort.signal,
          progressEveryMs: 10_000,
          onProgress: (p) => logger.info({ resync: p }, `cache resync: ${describeProgress(p)}`),
        },
      );
      if (result.status === "done") {
        logger.info({ jobs: result.jobs, lines: result.lines, since: result.since, resumed: result.resumed }, "cache resync done; lists trust the cache again");
      } else {
        // Held elsewhere: that holder does the work; lists skip the cache while it holds the lock.
        logger.info({ reason }, "cache resync needed, and one is running elsewhere (lock held); leaving it to that one");
      }
      if (this.needed === reason) this.needed = undefined;
      this.lockHeld = await isAdvisoryLockHeld(this.sql, RESYNC_LOCK_CLASS, this.lockKey).catch(() => this.lockHeld);
    } catch (error) {
      // Still needed: the next poll tries again (resuming from the checkpoint).
      if (!this.abort.signal.aborted) logger.error({ err: error }, "cache resync failed; will retry");
    }
  }
}
