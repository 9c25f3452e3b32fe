// jobChanged: one subscriber's watch over one job, or over a VM's jobs. A
// ring on the topic names no job, so the watch reads again and delivers each
// job whose status it has not yet delivered (a new job, or a changed status).
import type { Job } from "../jobs/job.model.js";
import type { JobRepository } from "../jobs/job.repository.js";
import { pollUnlessRung, type Doorbell } from "./doorbell.js";
import { jobTopic, vmTopic } from "./live-events.js";

/** The newest jobs of a VM a watch compares on each ring. */
export const VM_WINDOW = 20;
/** The VM's jobs come from an index that lags its table: after a ring, read once more this much later. */
const INDEX_LAG_MS = 1_000;

export type WatchTarget = { jobId: string } | { vmId: string };

export class JobWatch implements AsyncIterable<Job> {
  private readonly seen = new Map<string, string>();
  private pending: Job[] = [];
  private wakeUp: (() => void) | undefined;
  private ended = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stopListening: () => void;
  private readonly stopPolling: () => void;
  private lastRead = Date.now();

  constructor(
    private readonly target: WatchTarget,
    initial: Job[],
    private readonly jobs: JobRepository,
    private readonly doorbell: Doorbell,
    private readonly onClose: () => void = () => {},
  ) {
    for (const job of initial) this.seen.set(job.id, job.status);
    const topic = "jobId" in target ? jobTopic(target.jobId) : vmTopic(target.vmId);
    this.stopListening = doorbell.listen(topic, () => {
      void this.look();
      if ("vmId" in target) this.later(() => void this.look(), INDEX_LAG_MS);
    });
    this.stopPolling = pollUnlessRung(doorbell, () => this.lastRead, () => void this.look());
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopListening();
    this.stopPolling();
    for (const timer of this.timers) clearTimeout(timer);
    this.onClose();
    this.wakeUp?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Job> {
    try {
      while (!this.ended) {
        const next = this.pending.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        this.wakeUp = undefined;
      }
    } finally {
      this.close();
    }
  }

  private later(work: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private async look(): Promise<void> {
    if (this.ended) return;
    this.lastRead = Date.now();
    const found =
      "jobId" in this.target
        ? [await this.jobs.get(this.target.jobId, true)].filter((job): job is Job => job !== null)
        : await this.jobs.list({ vmId: this.target.vmId, limit: VM_WINDOW });
    // Oldest first, so a VM page sees jobs in the order they started.
    for (const job of [...found].reverse()) {
      if (this.seen.get(job.id) === job.status) continue;
      this.seen.set(job.id, job.status);
      this.pending.push(job);
    }
    if (this.pending.length > 0) this.wakeUp?.();
  }
}
