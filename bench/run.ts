// The benchmark run: seed the stores, start the three servers (our API, the raw
// baseline, PostGraphile) as child processes, load each scenario from a
// separate load-generator process, and collect requests/s, latency, RSS and
// store calls per request. bench/main.ts runs it and writes RESULTS.md;
// tests/bench-smoke.test.ts runs it in smoke mode.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildSchema, parse, validate, type GraphQLSchema } from "graphql";
import pg from "pg";
import { hashPassword } from "../src/auth/password";
import type { Role } from "../src/auth/permissions";
import { createTokenIssuer } from "../src/auth/token";
import { createDynamo } from "../src/infra/dynamodb/client";
import { findFreePort } from "../src/infra/net";
import { createPrisma } from "../src/infra/postgres/prisma";
import { UserRepository } from "../src/users/user.repository";
import type { BenchConfig } from "./config";
import { buildDataset } from "./dataset";
import type { LoadJob, LoadResult } from "./load";
import { parseStoreCalls, sampleValue, type StoreCalls } from "./metrics";
import { buildProbeVariants, buildVariants, picksOf, SCENARIOS, type RequestVariant, type Scenario, type Target } from "./scenarios";
import { seedDynamo, seedPostgres } from "./seed";
import { openBenchStores, setTableStreams, type BenchStoreOptions } from "./stores";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);

export interface TargetResult {
  scenario: string;
  target: Target;
  /** Whether the jobs and logs tables had their DynamoDB Streams on while it ran. */
  dynamoStreams: "on" | "off";
  /** Set when the target did not run; the reason. */
  skipped?: string;
  /** Set when the target ran and failed (check request or load); the message. */
  failed?: string;
  load?: LoadResult;
  rssMb?: number;
  /** Store calls per request; null: the server exposes no store-call metrics. */
  storeCalls?: StoreCalls | null;
  /** req/s of each round when BENCH_REPEAT > 1 (load is the median round). */
  roundsRps?: number[];
  /** Store calls per request of extra probes (S2 at 5 VMs), by label. */
  probes?: Record<string, StoreCalls | null>;
}

export interface BenchReport {
  date: string;
  smoke: boolean;
  config: BenchConfig;
  machine: { cpus: number; cpuModel: string; memoryGb: number; os: string };
  versions: Record<string, string>;
  stores: string;
  seed: { users: number; vms: number; jobs: number; cacheLines: number; dynamoItems: number; postgresSeconds: number; dynamoSeconds: number; dynamoLineJobs: number };
  /** Scenario id → whether its API query validates against the emitted schema.graphql. */
  apiSupported: Record<string, boolean>;
  metricsFamilies: string[];
  results: TargetResult[];
  totalSeconds: number;
}

export interface RunOptions {
  config: BenchConfig;
  env?: NodeJS.ProcessEnv;
  stores?: BenchStoreOptions;
  /** Progress lines; console.log by default. */
  log?: (line: string) => void;
  /** Only these scenario ids (all by default). */
  only?: string[];
}

/** Which scenarios' API queries the emitted schema can serve (unmerged parts are skipped, not failed). */
export function supportedScenarios(schema: GraphQLSchema, scenarios: Scenario[] = SCENARIOS): Record<string, boolean> {
  return Object.fromEntries(scenarios.map((s) => [s.id, validate(schema, parse(s.api.query)).length === 0]));
}

export function loadEmittedSchema(): GraphQLSchema {
  return buildSchema(readFileSync(path.join(ROOT, "schema.graphql"), "utf8"));
}

export async function runBench(options: RunOptions): Promise<BenchReport> {
  const { config } = options;
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const started = performance.now();
  const scenarios = SCENARIOS.filter((s) => !options.only || options.only.includes(s.id));
  const apiSupported = supportedScenarios(loadEmittedSchema(), scenarios);

  log(`bench: ${config.smoke ? "smoke mode, tiny data" : "full run"}; opening stores`);
  const stores = await openBenchStores(env, options.stores);
  const children: Child[] = [];
  // Table settings (streams on or off) are the runner's, the same for every server of a scenario.
  const tablesAdmin = createDynamo({ endpoint: stores.dynamoEndpoint });
  const tmp = await mkdtemp(path.join(os.tmpdir(), "vmo-bench-"));
  try {
    // Users go through the users repository, as the test factories do.
    const prisma = createPrisma(stores.databaseUrl);
    const users = new UserRepository(prisma);
    const passwordHash = await hashPassword(randomBytes(16).toString("hex"));
    const created: Partial<Record<Role, { id: string }>> = {};
    for (const role of ["admin", "dev", "viewer"] as const) {
      created[role] = await users.create({ email: `bench-${role}@example.com`, passwordHash, role });
    }
    await prisma.$disconnect();
    const dev = created.dev!;

    const dataset = buildDataset(config, dev.id);
    log(
      `bench: seeding ${dataset.vms.length} VMs, ${dataset.jobs.length} jobs, ${dataset.jobs.length * dataset.linesPerJob} cache lines` +
        ` (DynamoDB: lines of ${dataset.jobs.filter((j) => j.linesInDynamo).length} jobs)`,
    );
    const db = new pg.Pool({ connectionString: stores.databaseUrl, max: 4 });
    const dynamo = createDynamo({ endpoint: stores.dynamoEndpoint });
    const [pgSeed, dynamoSeed] = await Promise.all([
      seedPostgres(db, dataset),
      seedDynamo(dynamo.doc, stores.tables, dataset),
    ]).finally(() => dynamo.raw.destroy());
    const postgresVersion = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    await db.end();
    log(`bench: seeded Postgres in ${pgSeed.seconds.toFixed(1)} s, DynamoDB (${dynamoSeed.items} items) in ${dynamoSeed.seconds.toFixed(1)} s`);

    const jwtSecret = randomBytes(32).toString("hex");
    const { token } = await createTokenIssuer(jwtSecret, 12).sign(dev.id, "dev");
    const serverEnv = {
      DYNAMODB_ENDPOINT: stores.dynamoEndpoint,
      DYNAMODB_TABLE_PREFIX: stores.tablePrefix,
      JWT_SECRET: jwtSecret,
      // Smoke runs share the test suite's DynamoDB Local, which applies writes one
      // at a time: under the suite's load a 100-line append can wait past the
      // default 3 s attempt limit. Both servers get the same, longer limits.
      ...(config.smoke ? { DYNAMODB_ATTEMPT_TIMEOUT_MS: "10000", DYNAMODB_RETRY_BUDGET_MS: "25000" } : {}),
    };

    const needsPeer = scenarios.some((s) => s.peer);
    const starts = await Promise.allSettled([
      startApi({ ...serverEnv, DATABASE_URL: stores.databaseUrl }, { build: !config.smoke }),
      startRaw({ ...serverEnv, BENCH_DATABASE_URL: stores.databaseUrl }),
      needsPeer ? startPeer(stores.databaseUrl) : Promise.resolve(null),
      config.apiB
        ? startApi({ ...serverEnv, DATABASE_URL: stores.databaseUrl, ...config.apiB.env }, { build: !config.smoke, root: config.apiB.root, script: config.apiB.script })
        : Promise.resolve(null),
    ]);
    // Track every child that did start before failing on one that did not, so none outlives the run.
    for (const start of starts) if (start.status === "fulfilled" && start.value) children.push(start.value);
    const failedStart = starts.find((start) => start.status === "rejected");
    if (failedStart) throw failedStart.reason;
    const [api, raw, peer, apiB] = starts.map((start) => (start as PromiseFulfilledResult<Child | null>).value) as [Child, Child, Child | null, Child | null];
    log(
      `bench: servers up: api ${api.url}, raw ${raw.url}${peer ? `, PostGraphile ${peer.url}` : ""}` +
        `${apiB ? `, api-b ${apiB.url} (${config.apiB!.describe})` : ""}`,
    );

    /** Every API instance's cache work done (the stream leader among them has the lag). */
    const settleApis = async (streams: boolean, timeoutMs?: number) => {
      await Promise.all([api, apiB].flatMap((s) => (s ? [settle(s.url, streams, log, timeoutMs)] : [])));
    };
    // The seed's DynamoDB writes reach the API's stream consumer after it
    // starts: until it is at the tip, its cache reads go to DynamoDB (the
    // lagging rule), and the first scenario would measure that fallback.
    await settleApis(true, 300_000);
    const picks = picksOf(dataset);
    const authorization = { authorization: `Bearer ${token}` };
    const metricsFamilies = new Set<string>();
    const results: TargetResult[] = [];
    for (const scenario of scenarios) {
      const dynamoStreams = scenario.dynamoStreams ?? "on";
      await setTableStreams(tablesAdmin.raw, stores.tables, dynamoStreams === "on");
      if (dynamoStreams === "off") log(`bench: ${scenario.id}: DynamoDB Streams of the jobs and logs tables off`);
      const targets: Target[] = ["api", ...(apiB ? (["api-b"] as const) : []), "raw", ...(scenario.peer ? (["peer"] as const) : [])];
      const ready: Array<{ result: TargetResult; server: Child; variants: RequestVariant[]; headers: Record<string, string>; loads: LoadResult[] }> = [];
      for (const target of targets) {
        const result: TargetResult = { scenario: scenario.id, target, dynamoStreams };
        results.push(result);
        if (isOurApi(target) && !apiSupported[scenario.id]) {
          result.skipped = "its query does not validate against schema.graphql (that part of the API is not merged yet)";
          log(`bench: ${scenario.id} ${target}: skipped, not in schema.graphql`);
          continue;
        }
        const server = target === "api" ? api : target === "api-b" ? apiB! : target === "raw" ? raw : peer!;
        const variants = buildVariants(scenario, target, picks, config.smoke ? 16 : 256);
        const headers = target === "peer" ? {} : authorization;
        try {
          await checkOnce(server.url, variants[0]!, headers, target !== "raw");
          if (isOurApi(target)) {
            const probes = buildProbeVariants(scenario, picks, config.probeRequests);
            result.probes = {};
            for (const probe of probes) {
              const settled = scenario.kind === "write" ? () => settleApis(dynamoStreams === "on") : undefined;
              const calls = await storeCallsPerRequest(server.url, probe.variants, authorization, settled, metricsFamilies, config.probeRounds, config.probeIdleMs);
              result.probes[probe.label] = calls;
              result.storeCalls ??= calls;
            }
            if (scenario.probes) result.storeCalls = result.probes[scenario.probes.at(-1)!.label] ?? null;
          } else if (target === "raw") {
            result.storeCalls = await rawCallsPerRequest(raw.url, variants.slice(0, config.probeRequests), authorization);
          } else {
            result.storeCalls = null;
          }
          ready.push({ result, server, variants, headers, loads: [] });
        } catch (error) {
          result.failed = (error as Error).message;
          log(`bench: ${scenario.id} ${target}: FAILED: ${result.failed}`);
        }
      }
      // BENCH_REPEAT > 1: the targets take turns, round after round, so a burst
      // of load from elsewhere on the machine hits them alike; each reports its median round.
      for (let round = 1; round <= config.repeat; round++) {
        for (const run of ready) {
          const { result, server } = run;
          if (result.failed) continue;
          try {
            const load = await runLoad(tmp, {
              url: server.url,
              headers: run.headers,
              variants: run.variants,
              connections: Math.min(config.connections, scenario.maxConnections ?? Number.POSITIVE_INFINITY),
              warmupSeconds: config.warmupSeconds,
              durationSeconds: config.durationSeconds,
              amount: config.requestsPerRun,
              graphql: result.target !== "raw",
              serverPid: server.process.pid,
            });
            run.loads.push(load);
            // The API's cache work (write-behind, stream consumer) outlasts its load; the next server's load starts on a quiet emulator.
            if (scenario.kind === "write") await settleApis(dynamoStreams === "on");
            result.load = median(run.loads);
            if (config.repeat > 1) result.roundsRps = run.loads.map((l) => Math.round(l.rps));
            result.rssMb = readRssMb(server.process.pid);
            const bad = load.non2xx + load.errors + load.timeouts + load.mismatches;
            if (bad > 0) result.failed = `${bad} of ${load.requests} requests failed (non-2xx ${load.non2xx}, errors ${load.errors}, timeouts ${load.timeouts}, GraphQL errors ${load.mismatches}${describeCodes(load.errorCodes)})${lastWords(server)}`;
            const of = config.repeat > 1 ? ` (round ${round}/${config.repeat})` : "";
            const pg = load.storeCpuMsPerRequest.postgres;
            const cpu = (load.cpuMsPerRequest === null ? "" : `, server CPU ${load.cpuMsPerRequest} ms/request`) + (pg === null ? "" : `, Postgres CPU ${pg} ms/request`);
            log(`bench: ${scenario.id} ${result.target}${of}: ${load.rps.toFixed(0)} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms${cpu}${result.failed ? `; ${result.failed}` : ""}`);
          } catch (error) {
            result.failed = (error as Error).message;
            log(`bench: ${scenario.id} ${result.target}: FAILED: ${result.failed}`);
          }
        }
      }
    }

    return {
      date: new Date().toISOString(),
      smoke: config.smoke,
      config,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
        memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
        os: `${os.type()} ${os.release()} ${os.arch()}`,
      },
      versions: {
        ...versions(),
        "node (api, raw, load)": process.version,
        "node (PostGraphile)": peer?.nodeVersion ?? "not run",
        PostgreSQL: postgresVersion,
      },
      stores: stores.description,
      seed: {
        users: 3,
        vms: dataset.vms.length,
        jobs: dataset.jobs.length,
        cacheLines: dataset.jobs.length * dataset.linesPerJob,
        dynamoItems: dynamoSeed.items,
        postgresSeconds: pgSeed.seconds,
        dynamoSeconds: dynamoSeed.seconds,
        dynamoLineJobs: dataset.jobs.filter((j) => j.linesInDynamo).length,
      },
      apiSupported,
      metricsFamilies: [...metricsFamilies],
      results,
      totalSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    tablesAdmin.raw.destroy();
    await Promise.all(children.map((child) => child.stop()));
    await stores.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- processes

export interface Child {
  url: string;
  process: ChildProcess;
  nodeVersion?: string;
  /** The last few KB the process printed (our API logs warnings and errors only). */
  output?: () => string;
  stop(): Promise<void>;
}

const TSX = ["--import", "tsx"];

/** Node 22 for PostGraphile (it fails on Node 20): the binary of the `node` dev dependency. */
export function node22(): string {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 22) return process.execPath;
  const bundled = path.join(ROOT, "node_modules", "node", "bin", "node");
  if (!existsSync(bundled)) throw new Error("PostGraphile needs Node >= 22: the `node` dev dependency is not installed");
  return bundled;
}

function spawnChild(command: string, args: string[], env: Record<string, string>, cwd = ROOT): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return { child, output: () => tail };
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
}

async function waitForHttp(url: string, child: ChildProcess, output: () => string, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} during start-up:\n${output()}`);
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer at ${url}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The Node flags of package.json's start script (`node <flags> dist/main.js`), so the API runs as it does in production. */
export function startScriptNodeFlags(root = ROOT, script = "start"): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
  if (scripts[script] === undefined) throw new Error(`package.json in ${root} has no script "${script}"`);
  const words = scripts[script].trim().split(/\s+/);
  const entry = words.findIndex((word) => /(^|\/)main\.[jt]s$/.test(word));
  if (words[0] !== "node" || entry === -1) return [];
  const flags = words.slice(1, entry);
  const tsx = flags.indexOf("--import");
  return tsx === -1 ? flags : flags.slice(0, tsx);
}

const built = new Map<string, Promise<void>>();

/** `npm run build` once per checkout and benchmark process: a full run measures what `npm start` runs, never a stale dist/. */
function buildOnce(root: string): Promise<void> {
  let build = built.get(root);
  if (!build) {
    build = new Promise<void>((resolve, reject) => {
      const { child, output } = spawnChild(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], {}, root);
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`npm run build in ${root} failed (${code}):\n${output()}`))));
    });
    built.set(root, build);
  }
  return build;
}

/**
 * Our server in production mode on the bench stores, with the Node flags of
 * `npm start`. `build`: as `npm start` runs it, the compiled dist/main.js
 * under plain Node (full runs); otherwise src/main.ts through tsx, which
 * needs no build (smoke runs: the test suite), and costs tsx's memory.
 */
export async function startApi(
  env: Record<string, string>,
  { build = false, root = ROOT, script = "start" }: { build?: boolean; root?: string; script?: string } = {},
): Promise<Child> {
  const port = await findFreePort();
  // BENCH_PROFILE=1: a V8 CPU profile of the API per run, written when it stops (bench/profiles/).
  // BENCH_PROFILE=perf: a perf map (/tmp/perf-<pid>.map) so that `perf record -e cpu-clock -g -p <pid>` names
  // JS frames: an on-CPU profile, where V8's sampler also charges the time the thread waits descheduled.
  const profile =
    process.env.BENCH_PROFILE === "1"
      ? ["--cpu-prof", "--cpu-prof-dir", path.join(ROOT, "bench", "profiles")]
      : process.env.BENCH_PROFILE === "perf"
        ? ["--perf-basic-prof"]
        : [];
  if (build) await buildOnce(root);
  const entry = build ? ["dist/main.js"] : [...TSX, "src/main.ts"];
  const { child, output } = spawnChild(
    process.execPath,
    [...startScriptNodeFlags(root, script), ...profile, ...entry],
    { ...env, NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn" },
    root,
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = stopper(child);
  try {
    await waitForHttp(`${url}/healthz`, child, output, "the API server");
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, process: child, output, stop };
}

async function startRaw(env: Record<string, string>): Promise<Child> {
  const port = await findFreePort();
  const { child, output } = spawnChild(process.execPath, [...TSX, "bench/raw-server.ts"], { ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  const stop = stopper(child);
  try {
    await waitForHttp(`${url}/calls`, child, output, "the raw baseline server");
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, process: child, stop };
}

async function startPeer(databaseUrl: string): Promise<Child> {
  const port = await findFreePort();
  const node = node22();
  const cli = path.join(path.dirname(require.resolve("postgraphile")), "cli-run.js");
  const { child, output } = spawnChild(
    node,
    [cli, "-C", "bench/postgraphile.config.mjs", "-c", databaseUrl, "-s", "public", "-p", String(port), "-n", "127.0.0.1"],
    { GRAPHILE_ENV: "production", NODE_ENV: "production" },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = stopper(child);
  try {
    await waitForHttp(`${url}/graphql`, child, output, "PostGraphile");
  } catch (error) {
    await stop();
    throw error;
  }
  const nodeVersion = await new Promise<string>((resolve) => {
    const probe = spawn(node, ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    probe.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    probe.on("close", () => resolve(out.trim() || "unknown"));
  });
  return { url, process: child, nodeVersion, stop };
}

export function runLoad(tmp: string, job: LoadJob): Promise<LoadResult> {
  return (async () => {
    const file = path.join(tmp, `load-${randomBytes(4).toString("hex")}.json`);
    await writeFile(file, JSON.stringify(job));
    const { child, output } = spawnChild(process.execPath, [...TSX, "bench/load.ts", file], {});
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    const line = output().trim().split("\n").reverse().find((l) => l.startsWith("{"));
    if (code !== 0 || !line) throw new Error(`load generator exited with ${code}:\n${output()}`);
    return JSON.parse(line) as LoadResult;
  })();
}

/** The round with the median throughput (the upper one of an even count). */
function median(loads: LoadResult[]): LoadResult {
  return [...loads].sort((a, b) => a.rps - b.rps)[Math.floor(loads.length / 2)]!;
}

export function readRssMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined; // not Linux
  }
}

// ---------------------------------------------------------------- requests

async function send(baseUrl: string, variant: RequestVariant, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const response = await fetch(baseUrl + variant.path, {
    method: variant.method,
    headers: { "content-type": "application/json", ...headers },
    body: variant.body,
  });
  return { status: response.status, body: await response.text() };
}

/** One request before the load: a wrong query or a broken server fails loudly instead of measuring errors. */
async function checkOnce(baseUrl: string, variant: RequestVariant, headers: Record<string, string>, graphql: boolean): Promise<void> {
  const { status, body } = await send(baseUrl, variant, headers);
  if (status !== 200) throw new Error(`check request answered ${status}: ${body.slice(0, 500)}`);
  const parsed = JSON.parse(body) as { data?: unknown; errors?: unknown[] };
  if (graphql && parsed.errors?.length) throw new Error(`check request answered errors: ${JSON.stringify(parsed.errors).slice(0, 500)}`);
  if (!parsed.data) throw new Error(`check request answered no data: ${body.slice(0, 500)}`);
}

async function readMetrics(baseUrl: string): Promise<string | null> {
  try {
    const response = await fetch(`${baseUrl}/metrics`);
    if (response.status !== 200) return null;
    const text = await response.text();
    return /^# (HELP|TYPE) /m.test(text) ? text : null;
  } catch {
    return null;
  }
}

/**
 * Store calls per request from the server's /metrics, over sequential requests; null without store-call metrics.
 *
 * The server calls the stores on its own too (the Streams consumer's shard
 * refresh, its leader's lock renewals, periodic checks): about a call a
 * second in all, in bursts. The idle rate, measured first over a window long
 * enough to hold a few bursts, is taken off each round pro rata; a burst that
 * still falls inside one short round moves only that round, and each store
 * reads the median of the rounds.
 */
async function storeCallsPerRequest(
  baseUrl: string,
  variants: RequestVariant[],
  headers: Record<string, string>,
  /** Writes: waits until the API's cache work has landed (settle()), so it is counted, and none of an earlier load's is. */
  settled: (() => Promise<void>) | undefined,
  families: Set<string>,
  rounds: number,
  idleMs: number,
): Promise<StoreCalls | null> {
  // An earlier load's cache work still landing is not idle: it is waited out first.
  await settled?.();
  const idleStart = await readMetrics(baseUrl);
  if (!idleStart) return null;
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const idleEnd = await readMetrics(baseUrl);
  if (!idleEnd) return null;
  const idle = parseStoreCalls(idleStart, idleEnd, 1, process.env.BENCH_STORE_METRIC);
  const results: StoreCalls[] = [];
  for (let round = 0; round < rounds; round++) {
    await settled?.();
    const before = await readMetrics(baseUrl);
    if (!before) return null;
    const started = performance.now();
    for (const variant of variants) await send(baseUrl, variant, headers);
    // Cache write-through runs off the request path; let it land so it is counted
    // (a fixed wait was short when the emulator was slow: S4ns counted 0 statements).
    await settled?.();
    const after = await readMetrics(baseUrl);
    if (!after) return null;
    const delta = parseStoreCalls(before, after, variants.length, process.env.BENCH_STORE_METRIC);
    if (!delta) return null;
    if (idle) {
      const share = (performance.now() - started) / idleMs / variants.length;
      for (const [store, calls] of Object.entries(delta.byStore)) {
        delta.byStore[store] = Math.max(0, Math.round((calls - (idle.byStore[store] ?? 0) * share) * 100) / 100);
      }
    }
    results.push(delta);
  }
  const stores = new Set(results.flatMap((r) => Object.keys(r.byStore)));
  const byStore = Object.fromEntries([...stores].map((store) => [store, middleValue(results.map((r) => r.byStore[store] ?? 0))]));
  const read = [...new Set(results.flatMap((r) => r.families))];
  read.forEach((f) => families.add(f));
  return { byStore, families: read };
}

const middleValue = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Our API, either side of an A/B pair. */
const isOurApi = (target: Target) => target === "api" || target === "api-b";


/**
 * Waits (at most `timeoutMs`, a minute unless told) until the API's cache has caught up with what it
 * was given: no writes pending in its write-behind and, with streams on, its
 * consumer at the stream's tip. Under S4 the consumer is still reading the
 * load's stream records for seconds after it ends, and those reads would land
 * on the next server's measured run.
 */
async function settle(apiUrl: string, streams: boolean, log: (line: string) => void, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await readMetrics(apiUrl);
    if (!page) return; // no metrics: nothing to wait on
    const pending = sampleValue(page, "cache_pending_writes");
    const lag = sampleValue(page, "cache_stream_lag_seconds");
    if ((pending ?? 0) === 0 && (!streams || lag === undefined || lag < 1)) return;
    if (Date.now() > deadline) {
      log(`bench: the API's cache did not settle in ${timeoutMs / 1000} s (pending writes ${pending}, stream lag ${lag} s); going on`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function rawCallsPerRequest(baseUrl: string, variants: RequestVariant[], headers: Record<string, string>): Promise<StoreCalls> {
  const read = async () =>
    (JSON.parse((await send(baseUrl, { method: "GET", path: "/calls" }, {})).body) as { data: { postgres: number; dynamodb: number } }).data;
  const before = await read();
  for (const variant of variants) await send(baseUrl, variant, headers);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const after = await read();
  const per = (n: number) => Math.round((n / variants.length) * 100) / 100;
  return { byStore: { postgres: per(after.postgres - before.postgres), dynamodb: per(after.dynamodb - before.dynamodb) }, families: [] };
}

function versions(): Record<string, string> {
  const version = (name: string) => {
    try {
      // Not require.resolve: some packages do not export their package.json.
      return (JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
    } catch {
      return "unknown";
    }
  };
  const names = ["@apollo/server", "express", "graphql", "type-graphql", "dataloader", "@prisma/client", "@aws-sdk/lib-dynamodb", "pg", "postgraphile", "autocannon", "amplify-dynamodb-simulator"];
  return Object.fromEntries(names.map((name) => [name, version(name)]));
}


/** ": CODE: message ×n, …" for a failed run's GraphQL errors (the measured run's). */
function describeCodes(codes: Record<string, number> | undefined): string {
  const entries = Object.entries(codes ?? {});
  return entries.length ? `: ${entries.map(([key, n]) => `${key} ×${n}`).join("; ")}` : "";
}

/** What a failing server last logged, so a failed run says why (the API logs at warn). */
function lastWords(server: Child): string {
  const said = server.output?.().trim().split("\n").slice(-3).join("\n").slice(-1_200);
  return said ? `; the server last logged:\n${said}` : "";
}
