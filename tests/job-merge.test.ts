// The job merge rule is one rule (mergeJob, job.model.ts) applied by three
// writers: the CacheWriter's queue, the stream consumer's rounds, and the
// cache upsert's SQL. For every pair of copies of one job, all three must
// answer what mergeJob answers.
import { randomUUID } from "node:crypto";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { _Record } from "@aws-sdk/client-dynamodb-streams";
import { describe, expect, it } from "vitest";
import { decodeRound } from "../src/cache/stream-rows";
import { CacheWriter } from "../src/cache/cache-writer";
import { createLogger } from "../src/infra/logger";
import { mergeJob, type Job, type JobStatus } from "../src/jobs/job.model";
import { toJobItem } from "../src/jobs/job.repository";
import { useTestCache } from "./support/stores";

const stores = useTestCache();

const STATUSES: JobStatus[] = ["running", "success", "failed"];

/** Two copies of one job: the cached/queued one and the one arriving. Times are whole ms, as DynamoDB keeps them. */
function copies(): Array<{ name: string; current: Omit<Job, "id">; incoming: Omit<Job, "id"> }> {
  const started = new Date("2026-11-20T10:00:00.000Z");
  const version = (status: JobStatus, commandId: string | null, n: number): Omit<Job, "id"> => ({
    vmId: `vm-${n}`,
    commandId,
    command: `echo ${n}`,
    status,
    startedAt: started,
    finishedAt: status === "running" ? null : new Date(started.getTime() + n * 1_000),
  });
  const pairs = [];
  for (const a of STATUSES)
    for (const b of STATUSES)
      for (const [ca, cb] of [
        ["c-1", "c-2"],
        ["c-1", null],
        [null, "c-2"],
      ] as const)
        pairs.push({ name: `${a}(${ca}) then ${b}(${cb})`, current: version(a, ca, 1), incoming: version(b, cb, 2) });
  return pairs;
}

describe("mergeJob, the writer, the consumer and the upsert's SQL agree", () => {
  for (const { name, current, incoming } of copies()) {
    it(name, async () => {
      const id = randomUUID();
      const a: Job = { id, ...current };
      const b: Job = { id, ...incoming };
      const expected = mergeJob(a, b);

      // The SQL: the cached row is `a`, the upsert brings `b`.
      await stores.cache.upsert([a], []);
      await stores.cache.upsert([b], []);
      expect(await stores.cache.getJob(id)).toEqual(expected);

      // The writer's queue: `a` queued, then `b`.
      const writer = new CacheWriter(stores.cache, createLogger("silent"));
      writer.enqueueJobs([a]);
      writer.enqueueJobs([b]);
      expect(writer.pendingJob(id)).toEqual(expected);
      await writer.close();

      // The consumer: a round whose records hold `a`, then `b`.
      const record = (job: Job): _Record => ({ eventName: "MODIFY", dynamodb: { NewImage: marshall(toJobItem(job), { removeUndefinedValues: true }) as never } });
      const { jobs } = decodeRound([record(a), record(b)], []);
      expect(jobs.get(id)).toEqual(expected);
    });
  }

  it("keeps the rule's two exceptions (a finish is never undone; a missing commandId keeps the known one)", () => {
    const id = randomUUID();
    const running: Job = { id, vmId: "vm", commandId: "c", command: "x", status: "running", startedAt: new Date(0), finishedAt: null };
    const done: Job = { ...running, status: "success", finishedAt: new Date(1_000) };
    expect(mergeJob(done, running)).toBe(done);
    expect(mergeJob(running, { ...done, commandId: null })).toEqual(done);
    expect(mergeJob(undefined, running)).toBe(running);
  });
});
