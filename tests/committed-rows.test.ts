// What the cache stream may leave out: rows this process's write-behind has
// committed, with exactly those values, recently, within a memory bound.
// (tests/cache-stream.test.ts checks the same through a running server.)
import { describe, expect, it } from "vitest";
import { CommittedRows } from "../src/cache/committed-rows";
import type { Job } from "../src/jobs/job.model";

const job: Job = {
  id: "00000000-0000-4000-8000-000000000001",
  vmId: "vm-1",
  commandId: "c-1",
  command: "uptime",
  status: "running",
  startedAt: new Date("2026-12-02T10:00:00.000Z"),
  finishedAt: null,
};
const line = (ts: string, data: string) => ({ jobId: job.id, ts, stream: "stdout" as const, data });
const one = line("2026-12-02T10:00:00.000001Z", "one");
const two = line("2026-12-02T10:00:00.000002Z", "two");

describe("CommittedRows", () => {
  it("leaves out a job row and lines written with the same values, keeps what differs or was never written", () => {
    const committed = new CommittedRows();
    committed.record([{ jobId: job.id, job, lines: [one] }]);
    expect(committed.unwritten({ jobId: job.id, job: { ...job }, lines: [line(one.ts, "one")] })).toBeUndefined();
    expect(committed.wroteJob(job.id)).toBe(true);
    const finished = { ...job, status: "success" as const, finishedAt: new Date() };
    expect(committed.unwritten({ jobId: job.id, job: finished, lines: [line(one.ts, "rewritten"), two] })).toEqual({
      jobId: job.id,
      job: finished,
      lines: [line(one.ts, "rewritten"), two],
    });
    const other = "00000000-0000-4000-8000-000000000002";
    expect(committed.unwritten({ jobId: other, job: { ...job, id: other }, lines: [] })).toEqual({ jobId: other, job: { ...job, id: other }, lines: [] });
    expect(committed.wroteJob(other)).toBe(false);
  });

  it("forgets a job not written for maxAgeMs, and the oldest jobs past maxChars", () => {
    let now = 0;
    const committed = new CommittedRows({ maxAgeMs: 1_000, maxChars: 30 }, () => now);
    committed.record([{ jobId: job.id, job, lines: [one] }]);
    now = 1_001;
    expect(committed.unwritten({ jobId: job.id, job, lines: [one] })).toEqual({ jobId: job.id, job, lines: [one] });
    expect(committed.wroteJob(job.id)).toBe(false);

    const other = "00000000-0000-4000-8000-000000000002";
    committed.record([{ jobId: job.id, job, lines: [line(one.ts, "x".repeat(20))] }]);
    committed.record([{ jobId: other, job: { ...job, id: other }, lines: [line(one.ts, "y".repeat(20))] }]);
    expect(committed.wroteJob(job.id)).toBe(false);
    expect(committed.wroteJob(other)).toBe(true);
  });
});
