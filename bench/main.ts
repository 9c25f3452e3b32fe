// `npm run bench` / `make bench`: the full run, written to bench/RESULTS.md and
// printed. `--smoke` (or BENCH_SMOKE=1): tiny data for a few seconds, printed
// only (BENCH_RESULTS=<path> writes it somewhere). BENCH_ONLY=S1,S2 limits the
// scenarios.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { benchConfig } from "./config";
import { formatConsole, formatReport } from "./report";
import { ROOT, runBench } from "./run";

const config = benchConfig();
const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);
const report = await runBench({ config, only });
const markdown = formatReport(report);
const target = process.env.BENCH_RESULTS ?? (config.smoke ? undefined : path.join(ROOT, "bench", "RESULTS.md"));
// S6 (`npm run bench:tail`), S7 (`npm run bench:search`) and the hostile load (`npm run bench:hostile`) are measured by their own runs: their sections are kept.
const previous = target ? await readFile(target, "utf8").catch(() => "") : "";
const kept = [...previous.matchAll(/<!-- (S6|S7|hostile) begin -->[\s\S]*?<!-- \1 end -->\n?/g)].map((m) => m[0].trimEnd());
if (target) await writeFile(target, [markdown.trimEnd(), ...kept].join("\n\n") + "\n");
console.log(`\n${formatConsole(report)}\n`);
if (target) console.log(`written to ${path.relative(process.cwd(), target) || target}`);
const failed = report.results.filter((r) => r.failed);
if (failed.length) {
  console.error(`${failed.length} scenario run(s) failed: ${failed.map((r) => `${r.scenario}/${r.target}`).join(", ")}`);
  process.exitCode = 1;
}
