// Store calls per request from a Prometheus /metrics page, read before and
// after a few sequential requests. The counter names are the server's own
// (prom-client, issue 6); rather than pin them, this takes the store-call
// counters by shape: a counter family whose name says "store" and "call" (or
// request/operation/query), split by its `store` label. BENCH_STORE_METRIC (a
// regular expression on sample names) overrides the choice.

export interface StoreCalls {
  /** Calls per request, by store (label value) or by metric family when unlabelled. */
  byStore: Record<string, number>;
  /** The metric families read, for the report. */
  families: string[];
}

interface Sample {
  family: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      if (name && type) types.set(name, type);
      continue;
    }
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    const name = match[1]!;
    const family = [...types.keys()].find((f) => name === f || name === `${f}_count` || name === `${f}_total`) ?? name;
    samples.push({ family, name, labels, value: Number(match[3]) });
  }
  return { types, samples };
}

const STORE = /store|dynamo|postgres|prisma/i;
const CALLS = /call|request|op|quer|command/i;

function chooseSamples(page: ReturnType<typeof parse>, override?: string): Sample[] {
  if (override) {
    const pattern = new RegExp(override);
    return page.samples.filter((s) => pattern.test(s.name));
  }
  const counters = page.samples.filter(
    (s) => page.types.get(s.family) === "counter" && STORE.test(s.family) && CALLS.test(s.family) && !/error|fail|retr/i.test(s.family),
  );
  if (counters.length) return counters;
  // No counter: a store latency histogram counts calls too.
  return page.samples.filter((s) => page.types.get(s.family) === "histogram" && STORE.test(s.family) && s.name === `${s.family}_count`);
}

const groupOf = (s: Sample) => s.labels.store ?? s.labels.backend ?? s.labels.db ?? s.labels.system ?? s.family;

export function parseStoreCalls(before: string, after: string, requests: number, override?: string): StoreCalls | null {
  const chosenAfter = chooseSamples(parse(after), override);
  if (chosenAfter.length === 0) return null;
  const key = (s: Sample) => `${s.name}{${Object.entries(s.labels).sort().map(([k, v]) => `${k}=${v}`).join(",")}}`;
  const previous = new Map(chooseSamples(parse(before), override).map((s) => [key(s), s.value]));
  const byStore: Record<string, number> = {};
  for (const sample of chosenAfter) {
    const delta = sample.value - (previous.get(key(sample)) ?? 0);
    byStore[groupOf(sample)] = (byStore[groupOf(sample)] ?? 0) + delta;
  }
  for (const store of Object.keys(byStore)) byStore[store] = Math.round((byStore[store]! / requests) * 100) / 100;
  return { byStore, families: [...new Set(chosenAfter.map((s) => s.family))] };
}

/** A sample's value on a /metrics page (the first with that exact name, labels ignored); undefined when absent. */
export function sampleValue(text: string, name: string): number | undefined {
  const sample = parse(text).samples.find((s) => s.name === name);
  return sample?.value;
}
