// S6, the live tail's fan-out over two instances (issue 13): `npm run bench:tail`.
// 500 graphql-ws subscribers spread over 10 running jobs and both instances,
// writers appending 100-line batches at a steady rate through both. Reports
// delivery latency (append acknowledged → line received), lines/s delivered,
// lines lost and duplicated, store reads per appended batch, and RSS per 1,000
// idle subscriptions; writes the "S6" section of bench/RESULTS.md.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { benchDev, gql, percentile, writeResultsSection } from "./api-client";
import { readRssMb, startApi, type Child } from "./run";
import { openBenchStores } from "./stores";

const env = process.env;
const smoke = process.argv.includes("--smoke") || env.BENCH_SMOKE === "1";
const SUBSCRIBERS = Number(env.S6_SUBSCRIBERS ?? (smoke ? 20 : 500));
const JOBS = 10;
const LINES_PER_BATCH = 100;
const TARGET_LINES_PER_S = Number(env.S6_LINES_PER_S ?? (smoke ? 500 : 5_000));
const SECONDS = Number(env.S6_SECONDS ?? (smoke ? 3 : 20));
const IDLE = Number(env.S6_IDLE ?? (smoke ? 100 : 1_000));
const log = (line: string) => console.error(`bench S6: ${line}`);

async function storeCalls(url: string, operation: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("store_calls_total{") && line.includes('store="dynamodb"') && line.includes(`operation="${operation}"`)) total += Number(line.split(" ").at(-1));
  }
  return total;
}


const stores = await openBenchStores(env, { databaseName: "vmo_bench_s6", tablePrefix: "s6_" });
const children: Child[] = [];
const clients: Client[] = [];
try {
  const dev = await benchDev(stores, "bench-s6@example.com");
  const token = dev.token;
  const serverEnv = {
    ...dev.serverEnv,
    REDIS_URL: env.REDIS_URL ?? "redis://127.0.0.1:6379",
    REDIS_KEY_PREFIX: `bench-s6-${randomBytes(4).toString("hex")}:`,
  };
  const servers = await Promise.all([startApi(serverEnv, { build: !smoke }), startApi(serverEnv, { build: !smoke })]);
  children.push(...servers);
  log(`servers up: ${servers.map((s) => s.url).join(", ")}`);

  const jobIds: string[] = [];
  for (let j = 0; j < JOBS; j++) {
    const vm = await gql(servers[0]!.url, token, "mutation($input: CreateVmInput!) { createVm(input: $input) { id } }", {
      input: { id: `s6-vm-${j}-${randomBytes(3).toString("hex")}`, name: `s6 ${j}`, environment: "bench" },
    });
    const sent = await gql(servers[0]!.url, token, "mutation($input: SendCommandInput!) { sendCommand(input: $input) { job { id } } }", {
      input: { vmId: vm.createVm.id, command: "tail me" },
    });
    jobIds.push(sent.sendCommand.job.id);
  }
  const append = (server: Child, jobId: string, batch: string) =>
    gql(server.url, token, "mutation($jobId: ID!, $lines: [LogLineInput!]!) { appendJobLogs(jobId: $jobId, lines: $lines) { accepted } }", {
      jobId,
      lines: Array.from({ length: LINES_PER_BATCH }, (_, i) => ({ stream: "STDOUT", data: `${batch}:${i}` })),
    });
  // Each job's first claim reads its last stored line once: done before measuring.
  for (const [j, jobId] of jobIds.entries()) await append(servers[j % 2]!, jobId, `warm${j}`);

  // Subscribers: one socket each, as browsers are; spread over jobs and instances.
  const acked = new Map<string, number>();
  const latencies: number[] = [];
  const received: Array<Map<string, number>> = [];
  let delivered = 0;
  const socket = (server: Child) => {
    const c = createClient({ url: server.url.replace("http", "ws") + "/graphql", webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${token}` }, retryAttempts: 0 });
    clients.push(c);
    return c;
  };
  let subscribed = 0;
  for (let s = 0; s < SUBSCRIBERS; s++) {
    const seen = new Map<string, number>();
    received.push(seen);
    const jobId = jobIds[s % JOBS]!;
    // Job s % JOBS, instance (s / JOBS) % 2: every job has subscribers on both instances.
    socket(servers[Math.floor(s / JOBS) % 2]!).subscribe<{ jobLogTail: { lines: Array<{ node: { data: string } }> } }>(
      { query: "subscription($jobId: ID!) { jobLogTail(jobId: $jobId) { lines { node { data } } } }", variables: { jobId } },
      {
        next: ({ data }) => {
          if (!data) return;
          if (data.jobLogTail.lines.length === 0) return;
          if (seen.size === 0 && !subscribed) subscribed = 1;
          const now = performance.now();
          for (const { node } of data.jobLogTail.lines) {
            seen.set(node.data, (seen.get(node.data) ?? 0) + 1);
            delivered++;
            const ack = acked.get(node.data.split(":")[0]!);
            if (ack !== undefined && node.data.endsWith(":0")) latencies.push(now - ack);
          }
        },
        error: (error) => log(`subscriber ${s}: ${String((error as Error).message ?? error)}`),
        complete: () => {},
      },
    );
  }
  // Every subscriber has its backlog (the warm-up batch) before the clock starts.
  const warmed = () => received.every((seen) => [...seen.keys()].some((k) => k.startsWith("warm")));
  for (let i = 0; i < 600 && !warmed(); i++) await new Promise((r) => setTimeout(r, 100));
  if (!warmed()) throw new Error("subscribers did not receive their backlog");
  log(`${SUBSCRIBERS} subscribers on ${JOBS} jobs, writing ${TARGET_LINES_PER_S} lines/s for ${SECONDS} s`);

  const before = await Promise.all(servers.map((s) => storeCalls(s.url, "Query")));
  const batchesPerSecond = TARGET_LINES_PER_S / LINES_PER_BATCH;
  const batches: string[] = [];
  const started = performance.now();
  const inflight: Array<Promise<unknown>> = [];
  let failures = 0;
  let firstFailure = "";
  for (let b = 0; performance.now() - started < SECONDS * 1000; b++) {
    const due = started + (b * 1000) / batchesPerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const batch = `b${b}`;
    const jobId = jobIds[b % JOBS]!;
    batches.push(`${jobId}|${batch}`);
    inflight.push(
      append(servers[b % 2]!, jobId, batch).then(
        () => acked.set(batch, performance.now()),
        (error: Error) => {
          failures++;
          firstFailure ||= error.message;
        },
      ),
    );
  }
  await Promise.all(inflight);
  const wroteFor = (performance.now() - started) / 1000;
  // Delivery drains: wait until every subscriber has every line of its job, or 60 s.
  // Only acknowledged batches are owed to subscribers (a failed append may have stored a prefix: not counted either way).
  const expected = (s: number) => batches.filter((k) => k.startsWith(`${jobIds[s % JOBS]}|`) && acked.has(k.split("|")[1]!)).length * LINES_PER_BATCH;
  const got = (s: number) =>
    [...received[s]!.keys()].filter((k) => !k.startsWith("warm") && acked.has(k.split(":")[0]!)).length;
  for (let i = 0; i < 600 && received.some((_, s) => got(s) < expected(s)); i++) await new Promise((r) => setTimeout(r, 100));
  const drainedFor = (performance.now() - started) / 1000;
  const after = await Promise.all(servers.map((s) => storeCalls(s.url, "Query")));

  let lost = 0;
  let duplicated = 0;
  received.forEach((seen, s) => {
    lost += Math.max(0, expected(s) - got(s));
    for (const count of seen.values()) duplicated += count - 1;
  });
  latencies.sort((x, y) => x - y);
  const queriesPerBatch = after.map((a, i) => (a - before[i]!) / Math.max(acked.size, 1));

  // Idle subscriptions: RSS of a fresh third instance, warmed up by 100 of them, before and after IDLE more (100 per socket).
  const idle = await startApi(serverEnv, { build: !smoke });
  children.push(idle);
  const idleJob = jobIds[0]!;
  const openIdle = async (count: number) => {
    const opened: Client[] = [];
    for (let k = 0; k < count / 100; k++) {
      const c = socket(idle);
      opened.push(c);
      for (let i = 0; i < 100; i++) {
        c.subscribe({ query: "subscription($jobId: ID!) { jobLogTail(jobId: $jobId) { cursor } }", variables: { jobId: idleJob } }, { next: () => {}, error: () => {}, complete: () => {} });
      }
    }
    await new Promise((r) => setTimeout(r, 5_000));
    return opened;
  };
  // A first wave, closed again, grows the heap's young generation (64 MB semi-spaces with npm start's flag) before the measured one.
  for (const c of await openIdle(IDLE)) await c.dispose();
  await new Promise((r) => setTimeout(r, 3_000));
  const rssBefore = readRssMb(idle.process.pid) ?? NaN;
  await openIdle(IDLE);
  const open = IDLE;
  const rssAfter = readRssMb(idle.process.pid) ?? NaN;
  const rssPer1000 = ((rssAfter - rssBefore) * 1000) / open;

  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const linesPerS = (acked.size * LINES_PER_BATCH) / wroteFor;
  const rows = [
    ["subscribers (sockets)", `${SUBSCRIBERS}, on ${JOBS} jobs, both instances`],
    [
      "appended",
      `${acked.size} of ${batches.length} batches of ${LINES_PER_BATCH} acknowledged in ${wroteFor.toFixed(1)} s (${linesPerS.toFixed(0)} lines/s; target ${TARGET_LINES_PER_S})` +
        (failures ? `; ${failures} failed (first: ${firstFailure.slice(0, 120)})` : ""),
    ],
    ["delivered", `${delivered} lines, ${(delivered / drainedFor).toFixed(0)} lines/s to subscribers (all delivered ${(drainedFor - wroteFor).toFixed(1)} s after the last append)`],
    ["latency, ack → receipt of a batch's first line", `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (${latencies.length} samples)`],
    ["lost / duplicated", `${lost} / ${duplicated}`],
    ["DynamoDB Query per appended batch, per instance", queriesPerBatch.map((q) => q.toFixed(2)).join(" / ")],
    ["RSS per 1,000 idle subscriptions", `${rssPer1000.toFixed(1)} MB (${open} subscriptions: ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB)`],
  ];
  const aims = [
    ["0 lost, 0 duplicated", lost === 0 && duplicated === 0],
    ["p99 under 250 ms at 5,000 lines/s", p99 < 250 && linesPerS >= 5_000 * 0.95 && failures === 0],
    ["reads per batch independent of subscribers (≤ 1 Query per batch per instance)", queriesPerBatch.every((q) => q <= 1.05)],
    ["at most 30 MB per 1,000 idle subscriptions", rssPer1000 <= 30],
  ] as const;
  const markdown = [
    "<!-- S6 begin -->",
    "## S6: live tail fan-out over two instances (`npm run bench:tail`)",
    "",
    `${new Date().toISOString()}, ${smoke ? "smoke" : "full"} run; stores: ${stores.description}; Redis ${serverEnv.REDIS_URL}.`,
    "",
    "| measure | value |",
    "|---|---|",
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    "",
    "| aim | |",
    "|---|---|",
    ...aims.map(([aim, met]) => `| ${aim} | ${met ? "met" : "missed"} |`),
    "<!-- S6 end -->",
    "",
  ].join("\n");
  console.log(markdown);
  if (!smoke || env.BENCH_RESULTS) await writeResultsSection("S6", markdown);
  if (lost > 0 || duplicated > 0 || failures > 0) process.exitCode = 1;
} finally {
  await Promise.all(clients.map((c) => c.dispose()));
  await Promise.all(children.map((c) => c.stop()));
  await stores.close();
}
