// The CacheWriter's overflow, with limits small enough to reach: past its
// bounds it drops the oldest queued work, says so, and stops vouching for the
// cache (lists, and the dropped job's lines) until a catch-up; what it kept
// still reaches the cache. Real PostgreSQL underneath.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CacheWriter } from "../src/cache/cache-writer";
import { createLogger } from "../src/infra/logger";
import type { Job } from "../src/jobs/job.model";
import type { LogLine } from "../src/logs/log-line.model";
import { useTestCache } from "./support/stores";

const stores = useTestCache();

const buildJob = (n: number): Job => ({
  id: randomUUID(),
  vmId: "vm-overflow",
  commandId: null,
  command: `echo ${n}`,
  status: "running",
  startedAt: new Date(Date.UTC(2026, 10, 20, 10, 0, n)),
  finishedAt: null,
});
const buildLines = (job: Job, count: number): LogLine[] =>
  Array.from({ length: count }, (_, i) => ({ jobId: job.id, ts: `2026-11-20T10:00:00.00000${i}Z`, stream: "stdout", data: `line ${i}` }));

function smallWriter() {
  const writer = new CacheWriter(stores.cache, createLogger("silent"), { maxPendingJobs: 3, maxPendingLines: 5 });
  const dropped: Array<{ jobs: number; lines: number }> = [];
  writer.on("dropped", (d) => dropped.push(d));
  return { writer, dropped };
}

describe("CacheWriter overflow", () => {
  it("drops the oldest job past maxPendingJobs, stops vouching for lists until a catch-up, and writes the rest", async () => {
    const { writer, dropped } = smallWriter();
    const jobs = [1, 2, 3, 4].map(buildJob);
    // Enqueued in one tick: nothing flushes in between.
    for (const job of jobs) writer.enqueueJobs([job]);
    expect(dropped).toEqual([{ jobs: 1, lines: 0 }]);
    expect(writer.isComplete()).toBe(false);
    expect(writer.pendingJob(jobs[0]!.id)).toBeUndefined();
    expect(writer.pendingJob(jobs[3]!.id)).toEqual(jobs[3]);

    await writer.idle();
    const cached = await stores.cache.getJobs(jobs.map((j) => j.id));
    expect([...cached.keys()].sort()).toEqual(jobs.slice(1).map((j) => j.id).sort());
    // Flushing what was kept does not make up for what was dropped.
    expect(writer.isComplete()).toBe(false);
    writer.markCaughtUp();
    expect(writer.isComplete()).toBe(true);
    await writer.close();
  });

  it("drops the oldest job's lines past maxPendingLines; that job's cached lines stay untrusted until a catch-up", async () => {
    const { writer, dropped } = smallWriter();
    const [a, b] = [buildJob(5), buildJob(6)];
    writer.enqueueLines(a, buildLines(a, 3));
    writer.enqueueLines(b, buildLines(b, 3));
    expect(dropped).toEqual([{ jobs: 0, lines: 3 }]);
    expect(writer.logsIncomplete(a.id)).toBe(true);
    expect(writer.logsIncomplete(b.id)).toBe(true);

    await writer.idle();
    const logs = await stores.cache.logsForJobs([a.id, b.id], { limit: 10 });
    expect(logs.get(a.id)?.lines).toEqual([]);
    expect(logs.get(b.id)?.lines.map((l) => l.data)).toEqual(["line 0", "line 1", "line 2"]);
    expect(writer.logsIncomplete(b.id)).toBe(false);
    expect(writer.logsIncomplete(a.id)).toBe(true);
    expect(writer.isComplete()).toBe(false);

    writer.markCaughtUp();
    expect(writer.logsIncomplete(a.id)).toBe(false);
    expect(writer.isComplete()).toBe(true);
    await writer.close();
  });
});
