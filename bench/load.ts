// The load generator, run as its own process so it does not share an event
// loop with any server: a warm-up run (discarded), then the measured run, at a
// fixed number of connections for a fixed time (smoke mode: a fixed number of requests). Reads its job from the JSON
// file named in argv[2]; prints one JSON result line on stdout.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import autocannon from "autocannon";
import type { RequestVariant } from "./scenarios";

export interface LoadJob {
  url: string;
  headers: Record<string, string>;
  variants: RequestVariant[];
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** When set, each run sends this many requests, however long they take, instead of running for a fixed time (smoke mode). */
  amount?: number;
  /** GraphQL answers 200 with an `errors` member; count those as failures. */
  graphql: boolean;
  /** The server's process id: its CPU time over the measured run gives cpuMsPerRequest (Linux). */
  serverPid?: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** GraphQL responses with errors. */
  mismatches: number;
  /** Those responses' first error codes (extensions.code), counted: what went wrong, not just that it did. */
  errorCodes: Record<string, number>;
  seconds: number;
  /**
   * The server process's CPU time (user + system) over the measured run, per
   * request: what a request costs the server whatever else the machine runs,
   * so steadier than req/s on a shared machine. Null where /proc is missing.
   */
  cpuMsPerRequest: number | null;
  /**
   * The local stores' processes' CPU time over the measured run, per request
   * (every `postgres` process, and DynamoDB Local's JVM; null where none runs
   * here): on a two-core machine the stores share the cores with the servers,
   * so a server whose statements cost the database more answers fewer
   * requests at the same CPU of its own.
   */
  storeCpuMsPerRequest: { postgres: number | null; dynamodb: number | null };
}

const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as LoadJob;
const errorCodes: Record<string, number> = {};

/** A GraphQL answer without errors passes; one with errors is tallied by its first error's code (and message, briefly). */
function verifyGraphQL(body: string): boolean {
  if (!body.includes('"errors"')) return true;
  let key = "unparsable body";
  try {
    const first = (JSON.parse(body) as { errors?: Array<{ message?: string; extensions?: { code?: string } }> }).errors?.[0];
    key = `${first?.extensions?.code ?? "no code"}: ${(first?.message ?? "").slice(0, 160)}`;
  } catch {
    // key stays "unparsable body"
  }
  errorCodes[key] = (errorCodes[key] ?? 0) + 1;
  return false;
}

function run(durationSeconds: number) {
  let n = 0;
  return autocannon({
    url: job.url,
    connections: job.connections,
    ...(job.amount ? { amount: job.amount } : { duration: durationSeconds }),
    headers: { "content-type": "application/json", ...job.headers },
    timeout: 30,
    ...(job.graphql ? { verifyBody: verifyGraphQL } : {}),
    requests: [
      {
        setupRequest(request: Record<string, unknown>) {
          // Round-robin over variants drawn at random by the runner: reproducible, and no two
          // connections keep hammering the same key.
          const variant = job.variants[n++ % job.variants.length]!;
          request.method = variant.method;
          request.path = variant.path;
          request.body = variant.body;
          return request;
        },
      },
    ],
  });
}

/** A process's command name and CPU ticks: its own (utime + stime) and its reaped children's (cutime + cstime). */
function procStat(pid: number | string): { comm: string; ticks: number; childTicks: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name: utime, stime, cutime and cstime are the 12th to 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
    ticks: Number(fields[11]) + Number(fields[12]),
    childTicks: Number(fields[13]) + Number(fields[14]),
  };
}

/** The server's CPU time in milliseconds; null off Linux. */
function cpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    return (procStat(pid).ticks * 1000) / clockTicks();
  } catch {
    return null;
  }
}

/** Which local store a process belongs to, told by its command name (and, for the JVM, its command line). */
type Store = "postgres" | "dynamodb";
function storeOf(comm: string, pid: string): Store | undefined {
  if (comm === "postgres") return "postgres";
  if (comm === "java" && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("DynamoDBLocal")) return "dynamodb";
  return undefined;
}

/**
 * The CPU time of every process of each store, with what its exited children
 * used (a Postgres backend that ends mid-run is counted by the postmaster), in
 * milliseconds, by process, from one walk of /proc; null for a store none of
 * whose processes runs here, or off Linux.
 */
function storesCpuMs(): Record<Store, Map<string, number> | null> {
  const ms: Record<Store, Map<string, number> | null> = { postgres: null, dynamodb: null };
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return ms;
  }
  for (const pid of pids) {
    try {
      const stat = procStat(pid);
      const store = storeOf(stat.comm, pid);
      if (store) (ms[store] ??= new Map()).set(pid, ((stat.ticks + stat.childTicks) * 1000) / clockTicks());
    } catch {
      // the process ended meanwhile
    }
  }
  return ms;
}

/**
 * A store's CPU between two samples, process by process: a process started
 * meanwhile counts whole, one gone meanwhile counts nothing (a backend's time
 * shows in its postmaster's children's time; a store stopped mid-run, say
 * another cluster on the machine, no longer takes its past CPU off the sum).
 */
function storeCpuBetween(before: Map<string, number> | null, after: Map<string, number> | null): number | null {
  if (!before || !after) return null;
  let total = 0;
  for (const [pid, ms] of after) total += Math.max(0, ms - (before.get(pid) ?? 0));
  return total;
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return ticksPerSecond;
}

if (job.warmupSeconds > 0) await run(job.warmupSeconds);
// The warm-up's failures are not the measured run's.
for (const key of Object.keys(errorCodes)) delete errorCodes[key];
const cpuBefore = cpuMs(job.serverPid);
const storesBefore = storesCpuMs();
const result = await run(job.durationSeconds);
const cpuAfter = cpuMs(job.serverPid);
const storesAfter = storesCpuMs();
const perRequest = (ms: number | null) => (ms !== null && result.requests.total > 0 ? Math.round((ms / result.requests.total) * 100) / 100 : null);
const out: LoadResult = {
  requests: result.requests.total,
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  mean: result.latency.average,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  mismatches: result.mismatches ?? 0,
  errorCodes,
  seconds: result.duration,
  cpuMsPerRequest: perRequest(cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore),
  storeCpuMsPerRequest: {
    postgres: perRequest(storeCpuBetween(storesBefore.postgres, storesAfter.postgres)),
    dynamodb: perRequest(storeCpuBetween(storesBefore.dynamodb, storesAfter.dynamodb)),
  },
};
process.stdout.write(`${JSON.stringify(out)}\n`);
