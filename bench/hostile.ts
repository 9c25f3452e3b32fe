// A normal query's latency while a hostile battery runs beside it (issue 15):
// `npm run bench:hostile`. The normal query is S1's shape (a job and 200 of its
// cached lines) on a small data set of its own; the battery sends documents
// past each limit, a JSON batch and wrong passwords, from its own process.
// Writes the "Hostile" section of bench/RESULTS.md.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { benchDev, gql, writeResultsSection } from "./api-client";
import type { LoadJob, LoadResult } from "./load";
import { runLoad, startApi, type Child } from "./run";
import type { RequestVariant } from "./scenarios";
import { openBenchStores } from "./stores";

const env = process.env;
const smoke = process.argv.includes("--smoke") || env.BENCH_SMOKE === "1";
const SECONDS = smoke ? 1 : 10;
const CONNECTIONS = smoke ? 2 : 8;
const log = (line: string) => console.error(`bench hostile: ${line}`);

const post = (body: unknown): RequestVariant => ({ method: "POST", path: "/graphql", body: JSON.stringify(body) });

function battery(jobId: string): Array<{ name: string; variant: RequestVariant }> {
  let deep = "id";
  for (let i = 0; i < 20; i++) deep = `vm { jobs(first: 1) { edges { node { ${deep} } } } }`;
  const aliases = Array.from({ length: 200 }, (_, i) => `a${i}: job(id: "${jobId}") { id }`).join(" ");
  const directives = Array.from({ length: 200 }, () => "@include(if: true)").join(" ");
  const tokens = Array.from({ length: 3_000 }, () => "id").join(" ");
  return [
    { name: "depth 20", variant: post({ query: `{ job(id: "${jobId}") { ${deep} } }` }) },
    { name: "200 aliases", variant: post({ query: `{ ${aliases} }` }) },
    { name: "200 directives", variant: post({ query: `{ job(id: "${jobId}") { id ${directives} } }` }) },
    { name: "3,000 tokens", variant: post({ query: `{ job(id: "${jobId}") { ${tokens} } }` }) },
    { name: "cost: 100 jobs × 1,000 lines", variant: post({ query: "{ jobs(first: 100) { edges { node { logs(first: 1000) { edges { node { data } } } } } } }" }) },
    { name: "a JSON batch of 50", variant: post(Array.from({ length: 50 }, () => ({ query: `{ job(id: "${jobId}") { id } }` }))) },
    {
      name: "wrong password",
      variant: post({ query: 'mutation { login(email: "bench-hostile-dev@example.com", password: "not the password") { token } }' }),
    },
  ];
}

const stores = await openBenchStores(env, { databaseName: "vmo_bench_hostile", tablePrefix: "hostile_" });
const children: Child[] = [];
const tmp = await mkdtemp(path.join(os.tmpdir(), "vmo-bench-hostile-"));
try {
  const { token, serverEnv } = await benchDev(stores, "bench-hostile-dev@example.com");
  const api = await startApi(serverEnv, { build: !smoke });
  children.push(api);

  const vm = await gql(api.url, token, "mutation($input: CreateVmInput!) { createVm(input: $input) { id } }", { input: { id: `hostile-${randomBytes(3).toString("hex")}`, name: "hostile", environment: "bench" } });
  const jobId = (await gql(api.url, token, "mutation($input: SendCommandInput!) { sendCommand(input: $input) { job { id } } }", { input: { vmId: vm.createVm.id, command: "uptime" } })).sendCommand.job.id as string;
  await gql(api.url, token, "mutation($jobId: ID!, $lines: [LogLineInput!]!) { appendJobLogs(jobId: $jobId, lines: $lines) { accepted } }", {
    jobId,
    lines: Array.from({ length: 200 }, (_, i) => ({ stream: "STDOUT", data: `line ${i} of a job's output, about sixty characters long.` })),
  });
  await new Promise((r) => setTimeout(r, 2_000)); // the cache writer flushes behind the append

  const normal: LoadJob = {
    url: api.url,
    headers: { authorization: `Bearer ${token}` },
    variants: [post({ query: "query($id: ID!) { job(id: $id) { id status logs(first: 200) { edges { node { ts data } } } } }", variables: { id: jobId } })],
    connections: CONNECTIONS,
    warmupSeconds: smoke ? 0 : 3,
    durationSeconds: SECONDS,
    ...(smoke ? { amount: 8 } : {}),
    graphql: true,
    serverPid: api.process.pid,
  };
  const hostileVariants = battery(jobId);
  const hostile: LoadJob = { ...normal, headers: {}, variants: hostileVariants.map((h) => h.variant), graphql: false, serverPid: undefined, warmupSeconds: 0 };

  log("normal query alone");
  const alone = await runLoad(tmp, normal);
  log("normal query beside the battery");
  const [beside, attack] = await Promise.all([runLoad(tmp, normal), runLoad(tmp, { ...hostile, durationSeconds: SECONDS + (smoke ? 0 : 3) })]);

  const row = (name: string, r: LoadResult) => `| ${name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.non2xx + r.errors + r.timeouts + r.mismatches} of ${r.requests} |`;
  const markdown = [
    "<!-- hostile begin -->",
    "## Hostile load beside a normal query (`npm run bench:hostile`)",
    "",
    `${new Date().toISOString()}, ${smoke ? "smoke" : "full"} run, ${CONNECTIONS} connections each; stores: ${stores.description}.`,
    `Normal: \`job(id){ logs(first: 200) }\` (S1's shape, cached lines). Battery, round-robin: ${hostileVariants.map((h) => h.name).join("; ")}.`,
    "Every battery request is refused (400, or 401/429 for the passwords): its \"failed\" count is expected.",
    "",
    "| load | req/s | p50 ms | p99 ms | failed |",
    "|---|--:|--:|--:|--:|",
    row("normal, alone", alone),
    row("normal, beside the battery", beside),
    row("battery", attack),
    "",
    `Normal p99 beside the battery: ${(beside.p99 / Math.max(alone.p99, 1)).toFixed(2)}× alone.`,
    "<!-- hostile end -->",
    "",
  ].join("\n");
  console.log(markdown);
  if (!smoke || env.BENCH_RESULTS) await writeResultsSection("hostile", markdown);
  if (alone.non2xx + alone.errors + alone.mismatches + beside.non2xx + beside.errors + beside.mismatches > 0) process.exitCode = 1;
} finally {
  await Promise.all(children.map((c) => c.stop()));
  await rm(tmp, { recursive: true, force: true });
  await stores.close();
}
