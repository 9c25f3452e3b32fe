// The load generator, run as its own process so it does not share an event
// loop with any server: a warm-up run (discarded), then the measured run, at a
// fixed number of connections for a fixed time. Reads its job from the JSON
// file named in argv[2]; prints one JSON result line on stdout.
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import type { RequestVariant } from "./scenarios";

export interface LoadJob {
  url: string;
  headers: Record<string, string>;
  variants: RequestVariant[];
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** GraphQL answers 200 with an `errors` member; count those as failures. */
  graphql: boolean;
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
  seconds: number;
}

const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as LoadJob;

function run(durationSeconds: number) {
  let n = 0;
  return autocannon({
    url: job.url,
    connections: job.connections,
    duration: durationSeconds,
    headers: { "content-type": "application/json", ...job.headers },
    timeout: 30,
    ...(job.graphql ? { verifyBody: (body: string) => !body.includes('"errors"') } : {}),
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

if (job.warmupSeconds > 0) await run(job.warmupSeconds);
const result = await run(job.durationSeconds);
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
  seconds: result.duration,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
