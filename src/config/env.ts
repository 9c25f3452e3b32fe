// The one place that reads process.env. Every problem is collected and reported
// together, so a misconfigured deployment fails once, with the whole list.
import { z } from "zod";
import { parsePurgeSchedule, type PurgeSchedule } from "./purge-schedule.js";
import { loadTrustedDocuments, type TrustedDocuments } from "../graphql/trusted-documents.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../infra/dynamodb/retry.js";

const emptyAsUnset = (value: unknown) => (value === "" ? undefined : value);
const optionalString = z.preprocess(emptyAsUnset, z.string().optional());
const limit = (fallback: number) => z.preprocess(emptyAsUnset, z.coerce.number().int().min(1, "must be a whole number >= 1").default(fallback));

const envSchema = z
  .object({
    NODE_ENV: z.preprocess(emptyAsUnset, z.enum(["development", "production", "test"]).default("development")),
    PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(65535).default(4000)),
    HOST: z.preprocess(emptyAsUnset, z.string().default("0.0.0.0")),
    DATABASE_URL: z.preprocess(
      emptyAsUnset,
      z
        .url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" })
        .optional(),
    ),
    // Off for a connection pooler that cannot keep prepared statements (src/infra/postgres/prisma.ts).
    DATABASE_PREPARED_STATEMENTS: z.preprocess(emptyAsUnset, z.enum(["on", "off"], { error: 'must be "on" or "off"' }).default("on")),
    DYNAMODB_ENDPOINT: z.preprocess(emptyAsUnset, z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional()),
    AWS_REGION: optionalString,
    DYNAMODB_TABLE_PREFIX: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(/^[A-Za-z0-9_.-]{0,200}$/, "may hold only letters, digits, '_', '-' and '.'")
        .default(""),
    ),
    JWT_SECRET: z.preprocess(emptyAsUnset, z.string().min(32, "must be at least 32 characters").optional()),
    TOKEN_TTL_HOURS: z.preprocess(emptyAsUnset, z.coerce.number().positive().max(24 * 30).default(12)),
    ADMIN_EMAIL: z.preprocess(emptyAsUnset, z.email().optional()),
    ADMIN_PASSWORD: z.preprocess(emptyAsUnset, z.string().min(10).max(256).optional()),
    CACHE_TTL_DAYS: z.preprocess(emptyAsUnset, z.coerce.number().positive("must be a positive number of days").default(7)),
    PURGE_CRON: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .transform((value, ctx) => {
          const schedule = parsePurgeSchedule(value);
          if (schedule instanceof Error) {
            ctx.addIssue({ code: "custom", message: schedule.message });
            return z.NEVER;
          }
          return schedule;
        })
        .optional(),
    ),
    CACHE_STREAM: z.preprocess(emptyAsUnset, z.enum(["on", "off"], { error: 'must be "on" or "off"' }).default("on")),
    CACHE_STREAM_MAX_LAG_MS: z.preprocess(
      emptyAsUnset,
      z.coerce.number().int().min(0, "must be a number of milliseconds >= 0").default(5_000),
    ),
    LOG_CLAIM_LEASE_MS: z.preprocess(
      emptyAsUnset,
      z.coerce.number().int().min(100, "must be a number of milliseconds >= 100").default(30_000),
    ),
    // GraphQL document limits (src/graphql/document-limits.ts); the defaults let
    // every operation of tests/operations/ and the playground through.
    GRAPHQL_MAX_DEPTH: limit(15),
    GRAPHQL_MAX_ALIASES: limit(15),
    GRAPHQL_MAX_DIRECTIVES: limit(50),
    GRAPHQL_MAX_TOKENS: limit(2_000),
    GRAPHQL_MAX_COST: limit(50_000),
    // Who executes GraphQL operations (src/graphql/compiled-executor.ts).
    GRAPHQL_EXECUTOR: z.preprocess(emptyAsUnset, z.enum(["jit", "graphql-js"], { error: 'must be "jit" or "graphql-js"' }).default("jit")),
    REDIS_URL: z.preprocess(emptyAsUnset, z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional()),
    REDIS_KEY_PREFIX: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{0,100}$/, "may hold only letters, digits, '_', '-', '.' and ':'")
        .default("vmo:"),
    ),
    // Express's "trust proxy": which X-Forwarded-For hops to believe for the client IP.
    TRUST_PROXY: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .default("false")
        .transform((value): boolean | number | string => {
          if (value === "true" || value === "false") return value === "true";
          return /^\d+$/.test(value) ? Number(value) : value;
        }),
    ),
    TRUSTED_DOCUMENTS: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .transform((path, ctx) => {
          try {
            return loadTrustedDocuments(path);
          } catch (error) {
            ctx.addIssue({ code: "custom", message: (error as Error).message });
            return z.NEVER;
          }
        })
        .optional(),
    ),
    // Time limits (README, "Hardening"). Node requires headers ≤ request.
    REQUEST_TIMEOUT_MS: limit(30_000),
    // statement_timeout of each log search statement on the cache (src/search/log-search.repository.ts).
    SEARCH_STATEMENT_TIMEOUT_MS: limit(5_000),
    HTTP_HEADERS_TIMEOUT_MS: limit(10_000),
    // The DynamoDB client's retry policy (src/infra/dynamodb/retry.ts): one attempt's time limit, and the whole call's.
    DYNAMODB_ATTEMPT_TIMEOUT_MS: limit(DEFAULT_RETRY_POLICY.attemptTimeoutMs),
    DYNAMODB_RETRY_BUDGET_MS: limit(DEFAULT_RETRY_POLICY.totalBudgetMs),
    HTTP_REQUEST_TIMEOUT_MS: limit(60_000),
    CORS_ORIGINS: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .transform((value, ctx) => {
          const origins = value.split(",").map((origin) => origin.trim()).filter(Boolean);
          for (const origin of origins) {
            let parsed: URL | undefined;
            try {
              parsed = new URL(origin);
            } catch {
              parsed = undefined;
            }
            if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
              ctx.addIssue({ code: "custom", message: `"${origin}" is not an origin (scheme://host[:port], no path or trailing slash)` });
            }
          }
          return origins;
        })
        .optional(),
    ),
    METRICS_TOKEN: z.preprocess(emptyAsUnset, z.string().min(16, "must be at least 16 characters").optional()),
    CACHE_RESYNC_READ_RATE: z.preprocess(
      emptyAsUnset,
      z.coerce.number().positive("must be a positive number of DynamoDB read units per second").default(100),
    ),
    DEMO: z.preprocess(emptyAsUnset, z.enum(["on", "off"], { error: 'must be "on" or "off"' }).default("off")),
    DATA_DIR: z.preprocess(emptyAsUnset, z.string().default(".data")),
    LOG_LEVEL: z.preprocess(
      emptyAsUnset,
      z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    ),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === "production" && env.DEMO === "on") {
      ctx.addIssue({ code: "custom", path: ["DEMO"], message: "is refused when NODE_ENV=production (demo accounts have published passwords)" });
    }
    if (env.NODE_ENV === "production" && !env.JWT_SECRET) {
      ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: "is required when NODE_ENV=production" });
    }
    // Embedded stores keep data in a local folder, die with the process and are
    // not installed in a production install: production needs real stores.
    if (env.NODE_ENV === "production" && !env.DATABASE_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["DATABASE_URL"],
        message: "is required when NODE_ENV=production (refusing to start an embedded PostgreSQL: production needs real stores)",
      });
    }
    if (env.NODE_ENV === "production" && !env.DYNAMODB_ENDPOINT && !env.AWS_REGION) {
      ctx.addIssue({
        code: "custom",
        path: ["DYNAMODB_ENDPOINT"],
        message: "or AWS_REGION is required when NODE_ENV=production (refusing to start an embedded DynamoDB Local: production needs real stores)",
      });
    }
    if (env.DYNAMODB_ATTEMPT_TIMEOUT_MS > env.DYNAMODB_RETRY_BUDGET_MS) {
      ctx.addIssue({ code: "custom", path: ["DYNAMODB_ATTEMPT_TIMEOUT_MS"], message: "must not exceed DYNAMODB_RETRY_BUDGET_MS" });
    }
    if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({ code: "custom", path: ["HTTP_HEADERS_TIMEOUT_MS"], message: "must not exceed HTTP_REQUEST_TIMEOUT_MS" });
    }
    if (Boolean(env.ADMIN_EMAIL) !== Boolean(env.ADMIN_PASSWORD)) {
      ctx.addIssue({ code: "custom", path: ["ADMIN_PASSWORD"], message: "ADMIN_EMAIL and ADMIN_PASSWORD go together" });
    }
  });

type ParsedEnv = z.infer<typeof envSchema>;

export interface Config {
  nodeEnv: ParsedEnv["NODE_ENV"];
  isProduction: boolean;
  port: number;
  host: string;
  /** Unset: an embedded PostgreSQL is started under dataDir. */
  databaseUrl: string | undefined;
  /** The reads run with queryPrepared() (the cache's reads, the caller's user row) are prepared once per connection. */
  databasePreparedStatements: boolean;
  /** Unset with no awsRegion: an embedded DynamoDB Local is started under dataDir. */
  dynamoEndpoint: string | undefined;
  awsRegion: string | undefined;
  /** DYNAMODB_ATTEMPT_TIMEOUT_MS and DYNAMODB_RETRY_BUDGET_MS: the rest of the retry policy is fixed (retry.ts). */
  dynamoRetry: Pick<RetryPolicy, "attemptTimeoutMs" | "totalBudgetMs">;
  tablePrefix: string;
  /** Unset outside production: a random secret per process (tokens die with it). */
  jwtSecret: string | undefined;
  tokenTtlHours: number;
  admin: { email: string; password: string } | undefined;
  cacheTtlDays: number;
  /** Unset: the server never purges the cache itself (run `make purge-cache` from cron). */
  purgeSchedule: PurgeSchedule | undefined;
  /**
   * The durable catch-up: replay the jobs/logs DynamoDB Streams into the cache
   * (src/cache/cache-stream.ts). Off: only this process's own writes reach the
   * cache (tests that do not exercise it; never with several instances).
   */
  cacheStream: boolean;
  /** With the stream on, the cache answers reads only while the catch-up is at most this far behind. */
  cacheStreamMaxLagMs: number;
  /**
   * How long an append's claim on a job's log holds without renewal (its
   * writer renews it while writing). A writer killed mid-append holds the
   * log's watermark back this long at most; then the next append or reader
   * takes the claim over.
   */
  logClaimLeaseMs: number;
  /** Unset: what instances share (sign-in throttling, the live tail's doorbell) stays in this process: one instance only. */
  redisUrl: string | undefined;
  /** Every Redis key this app writes starts with it. */
  redisKeyPrefix: string;
  /** Express's "trust proxy" (false, true, a hop count, or addresses/subnets): whose X-Forwarded-For names the client. */
  trustProxy: boolean | number | string;
  /** Set: only these documents run (src/graphql/trusted-documents.ts). */
  trustedDocuments: TrustedDocuments | undefined;
  /** Browser origins allowed to call the API (CORS); unset: none (no CORS headers). */
  corsOrigins: string[] | undefined;
  /** Set: GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** GraphQL and REST: past it the client gets TIMEOUT (src/infra/response-deadline.ts). */
  requestTimeoutMs: number;
  /** statement_timeout of a log search statement (ms): past it the search answers TIMEOUT. */
  searchStatementTimeoutMs: number;
  /** Node's server.headersTimeout / requestTimeout: how long a client may take to send its request. */
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  /** Checked before a GraphQL document runs, on every transport. */
  documentLimits: DocumentLimits;
  /**
   * HTTP GraphQL operations: "jit" compiles each document once with graphql-jit
   * (falling back to graphql-js where it must); "graphql-js" is Apollo's own
   * execution. Subscriptions (WebSocket) always run on graphql-js.
   */
  graphqlExecutor: "jit" | "graphql-js";
  /** A full cache resync's DynamoDB read rate, in read capacity units per second (src/cache/cache-resync.ts). */
  cacheResyncReadRate: number;
  /** make demo: seed the demo data set at start when the stores are empty; the playground's first tab names its accounts. */
  demo: boolean;
  dataDir: string;
  logLevel: ParsedEnv["LOG_LEVEL"];
}

export interface DocumentLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  /** Each list field weighs its selection by its `first` (src/graphql/document-limits.ts). */
  maxCost: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".") || "env"}: ${issue.message}`));
  }
  const e = parsed.data;
  return {
    nodeEnv: e.NODE_ENV,
    isProduction: e.NODE_ENV === "production",
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS === "on",
    dynamoEndpoint: e.DYNAMODB_ENDPOINT,
    awsRegion: e.AWS_REGION,
    dynamoRetry: { attemptTimeoutMs: e.DYNAMODB_ATTEMPT_TIMEOUT_MS, totalBudgetMs: e.DYNAMODB_RETRY_BUDGET_MS },
    tablePrefix: e.DYNAMODB_TABLE_PREFIX,
    jwtSecret: e.JWT_SECRET,
    tokenTtlHours: e.TOKEN_TTL_HOURS,
    admin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    cacheTtlDays: e.CACHE_TTL_DAYS,
    purgeSchedule: e.PURGE_CRON,
    cacheStream: e.CACHE_STREAM === "on",
    cacheStreamMaxLagMs: e.CACHE_STREAM_MAX_LAG_MS,
    logClaimLeaseMs: e.LOG_CLAIM_LEASE_MS,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    trustProxy: e.TRUST_PROXY,
    trustedDocuments: e.TRUSTED_DOCUMENTS,
    corsOrigins: e.CORS_ORIGINS,
    metricsToken: e.METRICS_TOKEN,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    searchStatementTimeoutMs: e.SEARCH_STATEMENT_TIMEOUT_MS,
    httpHeadersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
    httpRequestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    documentLimits: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxCost: e.GRAPHQL_MAX_COST,
    },
    graphqlExecutor: e.GRAPHQL_EXECUTOR,
    cacheResyncReadRate: e.CACHE_RESYNC_READ_RATE,
    demo: e.DEMO === "on",
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
  };
}
