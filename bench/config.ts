// Sizes and timings of a benchmark run. The full run is the data set;
// smoke mode (BENCH_SMOKE=1 or --smoke) is the same harness on tiny data for a
// few seconds, so the test suite keeps the benchmark from rotting.

export interface BenchConfig {
  smoke: boolean;
  vms: number;
  environments: string[];
  jobsPerVm: number;
  linesPerJob: number;
  /**
   * Jobs whose log lines are also written to DynamoDB (the cache holds every
   * job's lines). DynamoDB Local takes ~3-5k items/s on two cores, so writing
   * all 800k lines there would take most of the time budget; S5 and the
   * DynamoDB fallback need lines for some jobs only. See bench/README.md.
   */
  dynamoLogJobs: number;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /**
   * Smoke mode: each load run sends this many requests instead of running for
   * durationSeconds. A slow scenario on a loaded machine (S4's appends under
   * DynamoDB Local's stream bookkeeping can take over a second each) then still
   * completes requests: the smoke run checks that every scenario runs, not how
   * fast. Undefined in a full run, which measures for a fixed time.
   */
  requestsPerRun: number | undefined;
  /** Sequential requests whose store-call delta gives "store calls per request" (a round of the probe). */
  probeRequests: number;
  /** Rounds of the store-call probe; each store reads their median. */
  probeRounds: number;
  /** How long the store-call probe first watches the idle server, to take its own background calls off. */
  probeIdleMs: number;
  /** Load rounds per scenario and server (BENCH_REPEAT); each reports its median round. */
  repeat: number;
  /**
   * A second instance of our API, loaded as target "api-b" in turn with the
   * others: an A/B pair measured in one run, on the same data and under the
   * same load from elsewhere on the machine. BENCH_API_B="NAME=value …" gives
   * it extra environment (a knob); BENCH_API_B_DIR another checkout to run
   * (say a `git worktree` of the commit before a change, with its own
   * node_modules), built there; BENCH_API_B_SCRIPT another npm script's Node
   * flags instead of `start`'s (say `start:lean`). Undefined: no B side.
   */
  apiB: { env: Record<string, string>; root: string | undefined; script: string | undefined; describe: string } | undefined;
}

export const ENVIRONMENTS = ["production", "staging", "development", "qa"];

export function benchConfig(argv = process.argv, env = process.env): BenchConfig {
  const smoke = argv.includes("--smoke") || env.BENCH_SMOKE === "1";
  const number = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
    return value;
  };
  if (smoke) {
    return {
      smoke,
      vms: 8,
      environments: ENVIRONMENTS,
      jobsPerVm: 3,
      linesPerJob: 20,
      dynamoLogJobs: 24,
      connections: number("BENCH_CONNECTIONS", 4),
      warmupSeconds: number("BENCH_WARMUP", 0.3),
      durationSeconds: number("BENCH_DURATION", 0.7),
      requestsPerRun: 8,
      probeRequests: 3,
      probeRounds: 3,
      probeIdleMs: 2_000,
      repeat: 1,
      apiB: apiB(env),
    };
  }
  return {
    smoke,
    vms: 200,
    environments: ENVIRONMENTS,
    jobsPerVm: 20,
    linesPerJob: 200,
    dynamoLogJobs: number("BENCH_DYNAMO_LOG_JOBS", 400),
    connections: number("BENCH_CONNECTIONS", 32),
    warmupSeconds: number("BENCH_WARMUP", 3),
    durationSeconds: number("BENCH_DURATION", 10),
    requestsPerRun: undefined,
    probeRequests: 20,
    probeRounds: 3,
    probeIdleMs: 5_000,
    repeat: Math.max(1, Math.round(number("BENCH_REPEAT", 1))),
    apiB: apiB(env),
  };
}

function apiB(env: NodeJS.ProcessEnv): BenchConfig["apiB"] {
  const extra = apiBEnv(env.BENCH_API_B);
  const root = env.BENCH_API_B_DIR?.trim() || undefined;
  const script = env.BENCH_API_B_SCRIPT?.trim() || undefined;
  if (!extra && !root && !script) return undefined;
  const words = [
    ...(root ? [`checkout ${root}`] : []),
    ...(script ? [`the Node flags of \`npm run ${script}\``] : []),
    ...Object.entries(extra ?? {}).map(([k, v]) => `${k}=${v}`),
  ];
  return { env: extra ?? {}, root, script, describe: words.join(", ") };
}

/** "A=1 B=two" (space- or comma-separated) as an environment; refuses a word without "=". */
function apiBEnv(raw: string | undefined): Record<string, string> | undefined {
  if (!raw?.trim()) return undefined;
  const entries = raw
    .trim()
    .split(/[\s,]+/)
    .map((word) => {
      const at = word.indexOf("=");
      if (at <= 0) throw new Error(`BENCH_API_B takes NAME=value words, got "${word}"`);
      return [word.slice(0, at), word.slice(at + 1)] as const;
    });
  return Object.fromEntries(entries);
}
