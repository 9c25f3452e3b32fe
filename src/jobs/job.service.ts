import { z } from "zod";
import { authorize, type Actor } from "../auth/permissions.js";
import type { CacheBackfill } from "../cache/cache-backfill.js";
import { cacheHorizon, type CacheReads } from "../cache/cache-policy.js";
import type { LiveEvents } from "../live-tail/live-events.js";
import type { CacheWriter } from "../cache/cache-writer.js";
import type { JobCacheRepository } from "../cache/job-cache.repository.js";
import type { TimeKey } from "../infra/dynamodb/newest-first.js";
import { conflict, notFound } from "../shared/errors.js";
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from "../shared/pagination.js";
import { parseInput } from "../shared/validation.js";
import type { Command } from "../commands/command.model.js";
import type { Vm } from "../vms/vm.model.js";
import type { VmRepository } from "../vms/vm.repository.js";
import { vmIdSchema } from "../vms/vm.schema.js";
import type { Job, JobStatus } from "./job.model.js";
import type { JobRepository } from "./job.repository.js";
import { jobFilterSchema, jobIdSchema, jobStatusSchema, readConsistencySchema, setJobStatusSchema, type JobFilterInput, type ReadConsistency } from "./job.schema.js";

export const JOB_PAGE = { default: 50, nestedDefault: 20, max: 100 };
const CURSOR_KIND = "job";
const cursorShape = { at: z.iso.datetime(), id: z.string() };

export const jobCursor = (job: Job) => encodeCursor(CURSOR_KIND, { at: (job.startedAt ?? new Date(0)).toISOString(), id: job.id });

export interface JobPageArgs {
  first?: number | null;
  after?: string | null;
  status?: JobStatus | null;
}

const earlier = (a: TimeKey | undefined, b: TimeKey | undefined): TimeKey | undefined =>
  !a ? b : !b ? a : a.at < b.at || (a.at === b.at && a.id < b.id) ? a : b;

/** The exclusive upper bound "started before t": (t, "") sorts before every (t, id). */
const beforeTime = (t: Date): TimeKey => ({ at: t.toISOString(), id: "" });

export class JobService {
  constructor(
    private readonly jobs: JobRepository,
    private readonly vms: VmRepository,
    private readonly cache: JobCacheRepository,
    private readonly writer: CacheWriter,
    private readonly backfill: CacheBackfill,
    private readonly reads: CacheReads,
    private readonly cacheTtlDays: number,
    private readonly live: LiveEvents,
  ) {}

  /** Null for an unknown job; BAD_USER_INPUT for an id that is not a UUID. */
  async get(actor: Actor | null, id: string, consistency: ReadConsistency = "cache"): Promise<Job | null> {
    authorize(actor, "read");
    const jobId = parseInput(jobIdSchema, id, "id");
    if (parseInput(readConsistencySchema, consistency, "consistency") === "strong") return this.jobs.get(jobId, true);
    // What this process wrote last is newer than the cache until the writer flushes it.
    const pending = this.writer.pendingJob(jobId);
    if (pending) return pending;
    const cached = await this.reads.read("jobs", "job", () => this.cache.getJob(jobId));
    if (cached) return cached;
    const job = await this.jobs.get(jobId);
    if (job) this.backfill.job(job);
    return job;
  }

  /** Jobs across VMs, newest first. */
  async list(actor: Actor | null, args: { filter?: JobFilterInput; first?: number | null; after?: string | null }): Promise<Page<Job>> {
    authorize(actor, "read");
    const filter = parseInput(jobFilterSchema, args.filter, "filter") ?? {};
    const size = pageSize(args.first, JOB_PAGE.default, JOB_PAGE.max);
    const after = args.after ? decodeCursor(CURSOR_KIND, args.after, cursorShape) : undefined;
    const vmId = filter.vmId ?? undefined;
    const status = filter.status ?? undefined;
    // startedAfter is exclusive; the stores' lower bound is inclusive, at millisecond precision.
    const from = filter.startedAfter ? new Date(filter.startedAfter.getTime() + 1) : undefined;
    const before = earlier(after, filter.startedBefore ? beforeTime(filter.startedBefore) : undefined);
    const limit = size + 1;
    // Any queued job of these VMs, whatever its status: a queued status change
    // can move a cached row into or out of a status filter.
    const matches = (job: Job) => !vmId || job.vmId === vmId;

    const horizon = cacheHorizon(this.cacheTtlDays);
    const horizonKey = beforeTime(horizon);
    const trusted = this.writer.isComplete() && !this.writer.hasPendingJobs(matches);
    if (!trusted) this.reads.skipped("jobs");
    if (trusted && (!before || before.at >= horizonKey.at)) {
      const cacheFrom = from && from > horizon ? from : horizon;
      const cached = await this.reads.read("jobs", "jobs", () => this.cache.listJobs({ vmId, status, from: cacheFrom, before, limit }), () => true);
      if (cached) {
        if (cached.length >= limit || (from && from >= horizon)) return toPage(cached, size, jobCursor);
        const older = await this.jobs.list({ vmId, status, startedFrom: from, before: horizonKey, limit: limit - cached.length });
        return toPage([...cached, ...older], size, jobCursor);
      }
    }
    return toPage(await this.jobs.list({ vmId, status, startedFrom: from, before, limit }), size, jobCursor);
  }

  /**
   * Vm.jobs for a page of VMs: ONE cache query for all of them, then DynamoDB
   * only for VMs the cache cannot answer completely. A VM's jobs are those with
   * its vmId started at or after its createdAt (a VM re-created under a deleted
   * VM's id does not inherit the old VM's jobs); so a VM created after the
   * horizon is answered by the cache alone.
   */
  async listForVms(actor: Actor | null, vms: readonly Vm[], args: JobPageArgs): Promise<Page<Job>[]> {
    authorize(actor, "read");
    const size = pageSize(args.first, JOB_PAGE.nestedDefault, JOB_PAGE.max);
    const after = args.after ? decodeCursor(CURSOR_KIND, args.after, cursorShape) : undefined;
    const status = parseInput(jobStatusSchema.nullish(), args.status, "status") ?? undefined;
    const limit = size + 1;
    const horizon = cacheHorizon(this.cacheTtlDays);
    const horizonKey = beforeTime(horizon);
    const afterInCache = !after || after.at >= horizonKey.at;

    const cacheable = vms.filter(
      (vm) => afterInCache && this.writer.isComplete() && !this.writer.hasPendingJobs((job) => job.vmId === vm.id),
    );
    const cached = cacheable.length
      ? await this.reads.read(
          "jobs",
          "jobs of vms",
          () =>
            this.cache.jobsForVms(
              cacheable.map((vm) => ({ vmId: vm.id, from: vm.createdAt > horizon ? vm.createdAt : horizon })),
              { status, before: after, limit },
            ),
          () => true,
        )
      : undefined;
    if (cacheable.length < vms.length) this.reads.skipped("jobs");

    return Promise.all(
      vms.map(async (vm) => {
        const fromCache = cached?.get(vm.id);
        const base = { vmId: vm.id, status, startedFrom: vm.createdAt };
        if (!fromCache) return toPage(await this.jobs.list({ ...base, before: after, limit }), size, jobCursor);
        if (fromCache.length >= limit || vm.createdAt >= horizon) return toPage(fromCache, size, jobCursor);
        const older = await this.jobs.list({ ...base, before: horizonKey, limit: limit - fromCache.length });
        return toPage([...fromCache, ...older], size, jobCursor);
      }),
    );
  }

  /** Vm.jobs of one VM, by id (REST's /vms/{vmId}/jobs); NOT_FOUND for an unknown VM. */
  async listForVm(actor: Actor | null, vmId: string, args: JobPageArgs): Promise<Page<Job>> {
    authorize(actor, "read");
    const vm = await this.vms.getExisting(parseInput(vmIdSchema, vmId, "vmId"));
    const [page] = await this.listForVms(actor, [vm], args);
    return page!;
  }

  /**
   * Command.jobs for a page of commands: DynamoDB's byCommandId index (the
   * cache has no index by command). DynamoDB has no batched query, so the
   * commands' queries run together and answer together: the joins under them
   * (Job.logs, Job.vm) then batch across the whole page.
   */
  async listForCommands(actor: Actor | null, commands: readonly Command[], args: JobPageArgs): Promise<Page<Job>[]> {
    authorize(actor, "read");
    const size = pageSize(args.first, JOB_PAGE.nestedDefault, JOB_PAGE.max);
    const after = args.after ? decodeCursor(CURSOR_KIND, args.after, cursorShape) : undefined;
    return Promise.all(
      commands.map(async (command) =>
        toPage(await this.jobs.list({ commandId: command.id, before: after, limit: size + 1 }), size, jobCursor),
      ),
    );
  }

  /** RUNNING → SUCCESS or FAILED, once. Of concurrent calls exactly one wins; the others get CONFLICT. */
  async setStatus(actor: Actor | null, id: string, status: JobStatus): Promise<Job> {
    authorize(actor, "write");
    const valid = parseInput(setJobStatusSchema, { id, status }, "");
    if (valid.status === "running") throw conflict("a job only moves from running to success or failed");
    const result = await this.jobs.finish(valid.id, valid.status, new Date());
    if (result.outcome === "missing") throw notFound("job", valid.id);
    if (result.outcome === "not-running") throw conflict(`job ${valid.id} is already ${result.job.status}`);
    this.writer.enqueueJobs([result.job]);
    this.live.jobChanged(result.job);
    return result.job;
  }
}
