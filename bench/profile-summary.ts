// Where the API's CPU time goes, from a V8 CPU profile (BENCH_PROFILE=1 writes
// one per run into bench/profiles/): self time grouped by package or part of
// Node, and the hottest functions. Idle time is left out of the percentages.
//
//   npx tsx bench/profile-summary.ts bench/profiles/<file>.cpuprofile [top=25]
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The group a frame's self time is counted in: first match wins. */
const GROUPS: Array<[string, (url: string, fn: string) => boolean]> = [
  ["(garbage collector)", (_u, fn) => fn === "(garbage collector)"],
  ["(program: native, not JS)", (_u, fn) => fn === "(program)"],
  ["graphql-js", (u) => u.includes("/node_modules/graphql/")],
  // Its runtime; the code it compiles per query has no url and lands in "V8 / natives (no url)".
  ["graphql-jit", (u) => u.includes("/node_modules/graphql-jit/")],
  ["Apollo Server", (u) => u.includes("/@apollo/")],
  ["type-graphql", (u) => u.includes("/type-graphql/")],
  ["Prisma client", (u) => u.includes("/@prisma/") || u.includes("/src/generated/prisma/")],
  ["pg (driver)", (u) => /\/node_modules\/(pg|pg-protocol|pg-types|pg-pool|postgres-\w+)\//.test(u)],
  ["Express + body parsing", (u) => /\/node_modules\/(express|body-parser|router|raw-body|iconv-lite|type-is|content-type|finalhandler|send|qs)\//.test(u)],
  ["prom-client", (u) => u.includes("/prom-client/")],
  ["jose (JWT)", (u) => u.includes("/jose/")],
  ["dataloader", (u) => u.includes("/dataloader/")],
  ["zod", (u) => u.includes("/zod/")],
  ["AWS SDK", (u) => u.includes("/@aws-sdk/") || u.includes("/@smithy/")],
  ["other node_modules", (u) => u.includes("/node_modules/")],
  ["our code (src/)", (u) => u.includes("/src/")],
  ["Node: HTTP, net, streams", (u) => /^node:(_http|http|net|stream|internal\/(streams|http|net|stream_base))/.test(u) || /node:internal\/(streams|http)/.test(u)],
  ["Node: other built-ins", (u) => u.startsWith("node:")],
  ["V8 / natives (no url)", () => true],
];

const file = process.argv[2];
if (!file) {
  console.error("usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]");
  process.exit(2);
}
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const groups = new Map<string, number>();
const functions = new Map<string, number>();
let busy = 0;
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (functionName === "(idle)") continue;
  busy += us;
  const group = GROUPS.find(([, test]) => test(url, functionName))![0];
  groups.set(group, (groups.get(group) ?? 0) + us);
  const where = url ? `${url.replace(/^.*\/node_modules\//, "").replace(/^.*\/src\//, "src/")}:${lineNumber + 1}` : "";
  const key = `${functionName || "(anonymous)"} ${where}`.trim();
  functions.set(key, (functions.get(key) ?? 0) + us);
}

const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)} %`;
console.log(`busy CPU: ${(busy / 1e6).toFixed(1)} s (idle left out)\n`);
console.log("self time by group:");
for (const [group, us] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(us)}  ${group}`);
console.log(`\nhottest ${top} functions (self time):`);
for (const [fn, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${fn}`);
