// The live tail's rules: who may follow what, and one follower per job per
// instance however many subscribers it has (src/live-tail/job-log-follower.ts).
// GraphQL subscriptions and SSE both come here.
import { z } from "zod";
import { OPERATIONS } from "../auth/operations.js";
import { authorize, type Actor } from "../auth/permissions.js";
import type { Logger } from "../infra/logger.js";
import type { JobRepository } from "../jobs/job.repository.js";
import type { LogStream } from "../logs/log-line.model.js";
import type { LogLineRepository } from "../logs/log-line.repository.js";
import { logStreamSchema } from "../logs/log-line.schema.js";
import { logCursorTs } from "../logs/log-line.service.js";
import { badInput, notFound } from "../shared/errors.js";
import { parseInput, uuidSchema } from "../shared/validation.js";
import type { VmRepository } from "../vms/vm.repository.js";
import { vmIdSchema } from "../vms/vm.schema.js";
import type { Doorbell } from "./doorbell.js";
import { JobLogFollower } from "./job-log-follower.js";
import { JobWatch, VM_WINDOW } from "./job-watch.js";
import { LogTail } from "./log-tail.js";

export interface TailArgs {
  after?: string | null;
  stream?: LogStream | null;
}

const jobChangedSchema = z
  .object({ vmId: vmIdSchema.nullish(), jobId: uuidSchema.nullish() })
  .refine((a) => Boolean(a.vmId) !== Boolean(a.jobId), { message: "give exactly one of vmId and jobId", path: ["vmId"] });

export class LiveTailService {
  private readonly followers = new Map<string, JobLogFollower>();
  private readonly open = new Set<{ close(): void }>();

  constructor(
    private readonly deps: { jobs: JobRepository; logs: LogLineRepository; vms: VmRepository; doorbell: Doorbell; logger: Logger },
  ) {
    // Rings sent while the pub/sub was down are lost: every follower reads once.
    deps.doorbell.onRecovered(() => {
      for (const follower of this.followers.values()) follower.wake();
    });
  }

  /** A job's log from `after` on (NOT_FOUND before anything is streamed for an unknown job). */
  async tail(actor: Actor | null, jobId: string, args: TailArgs): Promise<LogTail> {
    authorize(actor, OPERATIONS.jobLogTail);
    const id = parseInput(uuidSchema, jobId, "jobId");
    const after = args.after ? logCursorTs(args.after) : null;
    const stream = parseInput(logStreamSchema.nullish(), args.stream, "stream") ?? null;
    const tail = new LogTail(await this.follower(id), this.deps.logs, after, stream, () => this.open.delete(tail));
    this.open.add(tail);
    return tail;
  }

  /** A job's changes, or those of every job of a VM. */
  async jobChanges(actor: Actor | null, args: { vmId?: string | null; jobId?: string | null }): Promise<JobWatch> {
    authorize(actor, OPERATIONS.jobChanged);
    const parsed = jobChangedSchema.safeParse(args);
    if (!parsed.success) throw badInput("jobChanged: give exactly one of vmId and jobId", [{ path: "vmId", message: "give exactly one of vmId and jobId" }]);
    const { vmId, jobId } = parsed.data;
    let watch: JobWatch;
    if (jobId) {
      const job = await this.deps.jobs.get(jobId, true);
      if (!job) throw notFound("job", jobId);
      watch = new JobWatch({ jobId }, [job], this.deps.jobs, this.deps.doorbell, () => this.open.delete(watch));
    } else {
      if (!(await this.deps.vms.get(vmId!, true))) throw notFound("vm", vmId!);
      const recent = await this.deps.jobs.list({ vmId: vmId!, limit: VM_WINDOW });
      watch = new JobWatch({ vmId: vmId! }, recent, this.deps.jobs, this.deps.doorbell, () => this.open.delete(watch));
    }
    this.open.add(watch);
    return watch;
  }

  /** Open tails and job watches on this instance (tests wait on it). */
  openCount(): number {
    return this.open.size;
  }

  /** Subscribers of `jobId`'s log on this instance (tests wait on it). */
  subscribers(jobId: string): number {
    return this.followers.get(jobId)?.size ?? 0;
  }

  /** Ends every open tail and watch (shutdown). */
  closeAll(): void {
    for (const subscription of [...this.open]) subscription.close();
  }

  private async follower(jobId: string): Promise<JobLogFollower> {
    const existing = this.followers.get(jobId);
    if (existing && !existing.stopped) return existing;
    const state = await this.deps.jobs.getLogState(jobId);
    if (!state) throw notFound("job", jobId);
    const raced = this.followers.get(jobId);
    if (raced && !raced.stopped) return raced;
    const follower = new JobLogFollower(jobId, state, {
      ...this.deps,
      onIdle: (idle) => {
        if (this.followers.get(jobId) === idle) this.followers.delete(jobId);
      },
    });
    this.followers.set(jobId, follower);
    return follower;
  }
}
