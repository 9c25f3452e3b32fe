import { z } from "zod";
import { OPERATIONS } from "../auth/operations.js";
import { authorize, type Actor } from "../auth/permissions.js";
import type { LiveEvents } from "../live-tail/live-events.js";
import type { CacheWriter } from "../cache/cache-writer.js";
import type { JobReads, LogsQuery } from "../cache/job-reads.js";
import { earlierKey, keyBefore } from "../infra/dynamodb/newest-first.js";
import { conflict, notFound } from "../shared/errors.js";
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from "../shared/pagination.js";
import { parseInput } from "../shared/validation.js";
import type { Command } from "../commands/command.model.js";
import type { Vm } from "../vms/vm.model.js";
import type { VmRepository } from "../vms/vm.repository.js";
import { requireVm } from "../vms/vm.service.js";
import { vmIdSchema } from "../vms/vm.schema.js";
import type { LogLine } from "../logs/log-line.model.js";
import type { Job, JobStatus } from "./job.model.js";
import type { JobRepository } from "./job.repository.js";
import { jobFilterSchema, jobIdSchema, jobStatusSchema, readConsistencySchema, setJobStatusSchema, type JobFilterInput, type ReadConsistency } from "./job.schema.js";

export const JOB_PAGE = { default: 50, nestedDefault: 20, max: 100 };
const CURSOR_KIND = "job";
const cursorShape = { at: z.iso.datetime(), id: z.string() };

export const jobCursor = (job: Job) => encodeCursor(CURSOR_KIND, { at: (job.startedAt ?? new Date(0)).toISOString(), id: job.id });

/** jobs(filter, first, after)'s arguments. */
export interface JobListArgs {
  filter?: JobFilterInput | null;
  first?: number | null;
  after?: string | null;
}

export interface JobPageArgs {
  first?: number | null;
  after?: string | null;
  status?: JobStatus | null;
}

export class JobService {
  constructor(
    private readonly reads: JobReads,
    private readonly jobs: JobRepository,
    private readonly vms: VmRepository,
    private readonly writer: CacheWriter,
    private readonly live: LiveEvents,
  ) {}

  /** Null for an unknown job; BAD_USER_INPUT for an id that is not a UUID. */
  async get(actor: Actor | null, id: string, consistency: ReadConsistency = "cache"): Promise<Job | null> {
    authorize(actor, OPERATIONS.job);
    const jobId = parseInput(jobIdSchema, id, "id");
    return this.reads.job(jobId, parseInput(readConsistencySchema, consistency, "consistency") === "strong");
  }

  /**
   * get() for consistency CACHE, with a page of the job's lines when the
   * cache answers both in one read (JobReads.jobWithLogs; `logs` from
   * LogLineService.prefetch, which checked Job.logs's rules).
   */
  async getWithLogs(actor: Actor | null, id: string, logs: LogsQuery): Promise<{ job: Job | null; lines?: LogLine[] }> {
    authorize(actor, OPERATIONS.job);
    return this.reads.jobWithLogs(parseInput(jobIdSchema, id, "id"), logs);
  }

  /** Jobs across VMs, newest first. */
  async list(actor: Actor | null, args: JobListArgs): Promise<Page<Job>> {
    return (await this.listWithLogs(actor, args)).page;
  }

  /**
   * list(), with a page of lines of each listed job the cache answers with the
   * list in one read (JobReads.jobsWithLogs; `logs` from
   * LogLineService.prefetch, which checked Job.logs's rules).
   */
  async listWithLogs(actor: Actor | null, args: JobListArgs, logs?: LogsQuery): Promise<{ page: Page<Job>; lines: Map<string, LogLine[]> }> {
    authorize(actor, OPERATIONS.jobs);
    const filter = parseInput(jobFilterSchema, args.filter, "filter") ?? {};
    const size = pageSize(args.first, JOB_PAGE.default, JOB_PAGE.max);
    const after = args.after ? decodeCursor(CURSOR_KIND, args.after, cursorShape) : undefined;
    // startedAfter is exclusive; the stores' lower bound is inclusive, at millisecond precision.
    const from = filter.startedAfter ? new Date(filter.startedAfter.getTime() + 1) : undefined;
    const before = earlierKey(after, filter.startedBefore ? keyBefore(filter.startedBefore) : undefined);
    const query = { vmId: filter.vmId ?? undefined, status: filter.status ?? undefined, startedFrom: from, before, limit: size + 1 };
    const { jobs, lines } = await this.reads.jobsWithLogs(query, logs);
    return { page: toPage(jobs, size, jobCursor), lines };
  }

  /** Vm.jobs for a page of VMs (one cache query for all of them: JobReads.jobsOfVms). */
  async listForVms(actor: Actor | null, vms: readonly Vm[], args: JobPageArgs): Promise<Page<Job>[]> {
    authorize(actor, OPERATIONS["Vm.jobs"]);
    const size = pageSize(args.first, JOB_PAGE.nestedDefault, JOB_PAGE.max);
    const after = args.after ? decodeCursor(CURSOR_KIND, args.after, cursorShape) : undefined;
    const status = parseInput(jobStatusSchema.nullish(), args.status, "status") ?? undefined;
    const pages = await this.reads.jobsOfVms(vms, { status, before: after, limit: size + 1 });
    return pages.map((jobs) => toPage(jobs, size, jobCursor));
  }

  /** Vm.jobs of one VM, by id (REST's /vms/{vmId}/jobs); NOT_FOUND for an unknown VM. */
  async listForVm(actor: Actor | null, vmId: string, args: JobPageArgs): Promise<Page<Job>> {
    authorize(actor, OPERATIONS["Vm.jobs"]);
    const vm = await requireVm(this.vms, parseInput(vmIdSchema, vmId, "vmId"));
    const [page] = await this.listForVms(actor, [vm], args);
    return page!;
  }

  /** Command.jobs for a page of commands, answered together (JobReads.jobsOfCommands). */
  async listForCommands(actor: Actor | null, commands: readonly Command[], args: JobPageArgs): Promise<Page<Job>[]> {
    authorize(actor, OPERATIONS["Command.jobs"]);
    const size = pageSize(args.first, JOB_PAGE.nestedDefault, JOB_PAGE.max);
    const after = args.after ? decodeCursor(CURSOR_KIND, args.after, cursorShape) : undefined;
    const pages = await this.reads.jobsOfCommands(
      commands.map((command) => command.id),
      { before: after, limit: size + 1 },
    );
    return pages.map((jobs) => toPage(jobs, size, jobCursor));
  }

  /** RUNNING → SUCCESS or FAILED, once. Of concurrent calls exactly one wins; the others get CONFLICT. */
  async setStatus(actor: Actor | null, id: string, status: JobStatus): Promise<Job> {
    authorize(actor, OPERATIONS.setJobStatus);
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
