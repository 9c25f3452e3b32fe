// One reader per followed job per instance: on each doorbell ring (or poll)
// it reads the job's log state and the lines up to the watermark from
// DynamoDB once, and hands the batch to every subscriber on this instance. So
// the store reads per appended batch do not grow with the subscribers.
import type { Logger } from "../infra/logger.js";
import type { JobStatus } from "../jobs/job.model.js";
import type { JobLogState, JobRepository } from "../jobs/job.repository.js";
import type { LogLine } from "../logs/log-line.model.js";
import type { LogLineRepository } from "../logs/log-line.repository.js";
import { pollUnlessRung, type Doorbell } from "./doorbell.js";
import { logTopic } from "./live-events.js";

/** Lines in (from, to] of the log, read once; `to` is the watermark read. */
export interface TailBatch {
  from: string | null;
  to: string | null;
  lines: LogLine[];
  status: JobStatus;
  /** The job has finished and every claim on its log has ended: nothing will follow. */
  closed: boolean;
}

/** Lines per read; a follower reads on until the watermark. */
export const READ_PAGE = 1_000;

/** a > b, where null sorts before every ts (the start of the log). */
export const isAfter = (a: string | null, b: string | null) => a !== null && (b === null || a > b);

export class JobLogFollower {
  /** Every line at or below it has been handed out (or was there before the first subscriber). */
  frontier: string | null;
  status: JobStatus;
  closed: boolean;
  private readonly subscribers = new Set<(batch: TailBatch) => void>();
  private reading: Promise<void> | undefined;
  private again = false;
  private stopPolling: (() => void) | undefined;
  private stopListening: (() => void) | undefined;
  private lastRead = Date.now();
  stopped = false;

  constructor(
    readonly jobId: string,
    state: JobLogState,
    private readonly deps: { jobs: JobRepository; logs: LogLineRepository; doorbell: Doorbell; logger: Logger; onIdle(follower: JobLogFollower): void },
  ) {
    this.frontier = state.logCompleteTs;
    this.status = state.job.status;
    this.closed = isClosed(state);
    if (!this.closed) {
      this.stopListening = deps.doorbell.listen(logTopic(jobId), () => this.wake());
      this.stopPolling = pollUnlessRung(deps.doorbell, () => this.lastRead, () => this.wake());
    }
  }

  add(subscriber: (batch: TailBatch) => void): void {
    this.subscribers.add(subscriber);
  }

  remove(subscriber: (batch: TailBatch) => void): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) this.stop();
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** A ring, a poll, or a recovered doorbell: read now (once more if a read is under way). */
  wake(): void {
    if (this.stopped || this.closed) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.read()
      .catch((error: unknown) => {
        this.deps.logger.warn({ err: error, jobId: this.jobId }, "live tail: read failed; retrying within a second");
        // The next tick reads again, even while the doorbell is up.
        this.lastRead = 0;
      })
      .finally(() => {
        this.reading = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopPolling?.();
    this.stopListening?.();
    this.deps.onIdle(this);
  }

  private async read(): Promise<void> {
    this.lastRead = Date.now();
    const state = await this.deps.jobs.getLogState(this.jobId);
    if (!state) return;
    const watermark = state.logCompleteTs;
    const closed = isClosed(state);
    let from = this.frontier;
    // Page by page up to the watermark, each page handed out as it is read.
    while (isAfter(watermark, from)) {
      const lines = await this.deps.logs.list({ jobId: this.jobId, after: from ?? undefined, through: watermark!, limit: READ_PAGE }, true);
      const to = lines.length === READ_PAGE ? lines.at(-1)!.ts : watermark;
      const last = to === watermark;
      this.publish({ from, to, lines, status: state.job.status, closed: closed && last });
      from = to;
    }
    if (state.job.status !== this.status || closed !== this.closed) {
      // Only the status moved (or the log closed with no new line): an empty delivery says so.
      this.publish({ from, to: from, lines: [], status: state.job.status, closed });
    }
    if (closed) this.stop();
  }

  private publish(batch: TailBatch): void {
    this.frontier = batch.to;
    this.status = batch.status;
    this.closed = batch.closed;
    for (const subscriber of this.subscribers) subscriber(batch);
  }
}

/** Finished, and no append that claimed before the status change is still writing. */
export function isClosed(state: JobLogState): boolean {
  return state.job.status !== "running" && state.logCompleteTs === state.logClaimedTs;
}
