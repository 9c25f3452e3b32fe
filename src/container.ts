// Builds the long-lived parts once at start: repositories over the stores and
// the services over them. Transports (GraphQL, REST) only ever see services.
import type { Config } from "./config/env.js";
import { createTokenIssuer, type TokenIssuer } from "./auth/token.js";
import type { Dynamo } from "./infra/dynamodb/client.js";
import type { TableNames } from "./infra/dynamodb/tables.js";
import type { Logger } from "./infra/logger.js";
import type { PrismaClient } from "./infra/postgres/prisma.js";
import { createMetrics, type Metrics } from "./metrics/metrics.js";
import { CacheBackfill } from "./cache/cache-backfill.js";
import { CacheReads } from "./cache/cache-policy.js";
import { CacheStream } from "./cache/cache-stream.js";
import { JobReads } from "./cache/job-reads.js";
import { ResyncMonitor } from "./cache/resync-monitor.js";
import { defaultStatePath } from "./cache/resync-state.js";
import { reportCacheWriter } from "./cache/cache.metrics.js";
import { CacheWriter } from "./cache/cache-writer.js";
import { JobCacheRepository } from "./cache/job-cache.repository.js";
import { CommandRepository } from "./commands/command.repository.js";
import { CommandService } from "./commands/command.service.js";
import { JobRepository } from "./jobs/job.repository.js";
import { JobService } from "./jobs/job.service.js";
import { LogLineRepository } from "./logs/log-line.repository.js";
import { LogLineService } from "./logs/log-line.service.js";
import { LogSearchRepository } from "./search/log-search.repository.js";
import { LogSearchService } from "./search/log-search.service.js";
import { UserRepository } from "./users/user.repository.js";
import { UserService } from "./users/user.service.js";
import { SignInService } from "./users/sign-in.service.js";
import { SignInThrottle } from "./users/sign-in-throttle.js";
import { createRedis, type RedisClient } from "./infra/redis.js";
import { VmRepository } from "./vms/vm.repository.js";
import { VmService } from "./vms/vm.service.js";
import { InProcessDoorbell, RedisDoorbell, type Doorbell } from "./live-tail/doorbell.js";
import { doorbellEvents } from "./live-tail/live-events.js";
import { LiveTailService } from "./live-tail/live-tail.service.js";

export interface Stores {
  prisma: PrismaClient;
  dynamo: Dynamo;
  tables: TableNames;
  /** The URL `prisma` connects to; the cache stream's lock needs its own session there. Unset: no cache stream. */
  databaseUrl?: string;
}

export interface Repositories {
  users: UserRepository;
  vms: VmRepository;
  commands: CommandRepository;
  jobs: JobRepository;
  logLines: LogLineRepository;
  jobCache: JobCacheRepository;
  logSearch: LogSearchRepository;
}

export interface Services {
  vms: VmService;
  users: UserService;
  signIn: SignInService;
  commands: CommandService;
  jobs: JobService;
  logs: LogLineService;
  liveTail: LiveTailService;
  search: LogSearchService;
}

/** The Postgres cache's write side: services enqueue, it flushes in the background. */
export interface CacheParts {
  writer: CacheWriter;
  backfill: CacheBackfill;
  /** The durable catch-up (DynamoDB Streams); unset with CACHE_STREAM=off. startServer starts and stops it. */
  stream: CacheStream | undefined;
  /** The full resync's gate and trigger (with the stream only); startServer starts and stops it. */
  resync: ResyncMonitor | undefined;
}

export interface Container {
  config: Config;
  logger: Logger;
  stores: Stores;
  tokens: TokenIssuer;
  /** This app's Prometheus registry; `metrics.cache` is what the cache reports through. */
  metrics: Metrics;
  repositories: Repositories;
  services: Services;
  cache: CacheParts;
  /** The live tail's doorbell: Redis pub/sub with REDIS_URL, else in process. startServer closes it. */
  doorbell: Doorbell;
  /** Set with REDIS_URL: what instances share. The server closes it on stop. */
  redis: RedisClient | undefined;
}

export function createContainer(config: Config, logger: Logger, stores: Stores): Container {
  // First, so repositories and services can report through metrics.cache.
  const metrics = createMetrics({ dynamo: stores.dynamo.raw, prisma: stores.prisma });
  const repositories: Repositories = {
    users: new UserRepository(stores.prisma),
    vms: new VmRepository(stores.dynamo.doc, stores.tables.vms),
    commands: new CommandRepository(stores.dynamo.doc, stores.tables.commands),
    jobs: new JobRepository(stores.dynamo.doc, stores.tables, { logClaimLeaseMs: config.logClaimLeaseMs }),
    logLines: new LogLineRepository(stores.dynamo.doc, stores.tables.logs),
    jobCache: new JobCacheRepository(stores.prisma),
    logSearch: new LogSearchRepository(stores.prisma),
  };
  const tokens = createTokenIssuer(config.jwtSecret, config.tokenTtlHours);
  const writer = new CacheWriter(repositories.jobCache, logger);
  reportCacheWriter(writer, metrics.cache);
  let resync: ResyncMonitor | undefined;
  const stream =
    config.cacheStream && stores.databaseUrl
      ? new CacheStream({
          dynamo: stores.dynamo.raw,
          streams: stores.dynamo.streams,
          tables: stores.tables,
          databaseUrl: stores.databaseUrl,
          jobCache: repositories.jobCache,
          jobs: repositories.jobs,
          writer,
          metrics: metrics.cache,
          logger,
          onTrimmed: () => resync?.trimmed(),
          onLeading: async () => resync?.leading(),
        })
      : undefined;
  if (stream && stores.databaseUrl) {
    resync = new ResyncMonitor(
      { prisma: stores.prisma, databaseUrl: stores.databaseUrl, doc: stores.dynamo.doc, tables: stores.tables, jobCache: repositories.jobCache, stream, logger },
      {
        ttlDays: config.cacheTtlDays,
        readRate: config.cacheResyncReadRate,
        pollMs: 2_000,
        checkEveryMs: 30_000,
        statePath: defaultStatePath(config.dataDir, stores.tables.jobs),
      },
    );
  }
  if (stream) metrics.cache.observe({ streamLagMs: () => stream.lagMs(), streamLeader: () => stream.status().role === "leader" });
  const cache: CacheParts = { writer, backfill: new CacheBackfill(repositories.logLines, writer, logger, metrics.cache), stream, resync };
  // While a full resync is pending the cache's lag counts as unknown: reads go to DynamoDB.
  const streamLagMs = stream ? () => (resync?.pending() ? Number.POSITIVE_INFINITY : stream.lagMs()) : undefined;
  const reads = new CacheReads(logger, metrics.cache, streamLagMs, config.cacheStreamMaxLagMs);
  const jobReads = new JobReads({
    jobs: repositories.jobs,
    logs: repositories.logLines,
    cache: repositories.jobCache,
    writer,
    backfill: cache.backfill,
    gate: reads,
    cacheTtlDays: config.cacheTtlDays,
  });
  const redis = config.redisUrl ? createRedis(config.redisUrl, logger) : undefined;
  const doorbell: Doorbell = redis ? new RedisDoorbell(redis, config.redisKeyPrefix, logger) : new InProcessDoorbell();
  const live = doorbellEvents(doorbell);
  const services: Services = {
    vms: new VmService(repositories.vms),
    users: new UserService(repositories.users, repositories.commands, logger),
    signIn: new SignInService(repositories.users, tokens, new SignInThrottle(redis, config.redisKeyPrefix, logger)),
    commands: new CommandService(repositories.commands, repositories.jobs, repositories.vms, writer, live),
    jobs: new JobService(jobReads, repositories.jobs, repositories.vms, writer, live),
    logs: new LogLineService(repositories.logLines, repositories.jobs, writer, jobReads, live),
    liveTail: new LiveTailService({ jobs: repositories.jobs, logs: repositories.logLines, vms: repositories.vms, doorbell, logger }),
    search: new LogSearchService(jobReads, repositories.logSearch, {
      cacheTtlDays: config.cacheTtlDays,
      statementTimeoutMs: config.searchStatementTimeoutMs,
    }),
  };
  return {
    config,
    logger,
    stores,
    tokens,
    metrics,
    repositories,
    services,
    cache,
    doorbell,
    redis,
  };
}
