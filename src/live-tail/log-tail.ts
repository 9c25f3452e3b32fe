// One subscriber's view of a job's log: first what is stored after its
// cursor, then each batch its instance's follower reads, every line once and
// in ts order. It keeps `upTo`, the position of the log it has covered; a
// batch that starts past it (it joined late, or fell behind and dropped its
// queue) sends it back to the store for the gap, never past it.
import type { JobStatus } from "../jobs/job.model.js";
import type { LogLine, LogStream } from "../logs/log-line.model.js";
import type { LogLineRepository } from "../logs/log-line.repository.js";
import { isAfter, type JobLogFollower, type TailBatch } from "./job-log-follower.js";

export interface TailEvent {
  /** Lines after the previous event, oldest first; empty when only the status changed. */
  lines: LogLine[];
  status: JobStatus;
  /** The ts of the last line delivered so far (or the `after` it started from): where a resubscription continues. */
  resumeTs: string | null;
}

/** Per subscriber: batches waiting to be delivered. Past either bound, the queue is dropped and the gap read from the store. */
export const QUEUE_LIMIT = { batches: 64, lines: 5_000 };
/** Lines per delivery while reading from the store (the backlog, or after falling behind). */
export const CATCH_UP_PAGE = 500;

export class LogTail implements AsyncIterable<TailEvent> {
  private upTo: string | null;
  private queue: TailBatch[] = [];
  private queuedLines = 0;
  private wakeUp: (() => void) | undefined;
  private lastStatus: JobStatus | undefined;
  private resumeTs: string | null;
  private ended = false;
  /** How often this tail's queue overflowed and it went back to the store. */
  overflows = 0;
  private readonly onBatch = (batch: TailBatch) => {
    this.queue.push(batch);
    this.queuedLines += batch.lines.length;
    if (this.queue.length > QUEUE_LIMIT.batches || this.queuedLines > QUEUE_LIMIT.lines) {
      // A slow consumer: memory stays bounded, and the gap is read from the store.
      this.queue = [];
      this.queuedLines = 0;
      this.overflows++;
    }
    this.wakeUp?.();
  };

  constructor(
    private readonly follower: JobLogFollower,
    private readonly logs: LogLineRepository,
    after: string | null,
    private readonly stream: LogStream | null,
    private readonly onClose: () => void = () => {},
  ) {
    this.upTo = after;
    this.resumeTs = after;
    follower.add(this.onBatch);
  }

  /** Stops the tail (the client went away): its next read returns done. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.follower.remove(this.onBatch);
    this.onClose();
    this.wakeUp?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TailEvent> {
    try {
      while (!this.ended) {
        const next = this.queue[0];
        if (isAfter(this.follower.frontier, this.upTo) && (!next || isAfter(next.from, this.upTo))) {
          const event = await this.catchUp(this.follower.frontier!);
          if (event) yield event;
          continue;
        }
        if (!next) {
          if (this.follower.closed) {
            if (this.lastStatus !== this.follower.status) yield this.deliver([], this.follower.status);
            return;
          }
          await new Promise<void>((resolve) => (this.wakeUp = resolve));
          this.wakeUp = undefined;
          continue;
        }
        this.queue.shift();
        this.queuedLines -= next.lines.length;
        if (!isAfter(next.to, this.upTo) && next.lines.length > 0) continue;
        const lines = next.lines.filter((line) => isAfter(line.ts, this.upTo));
        if (isAfter(next.to, this.upTo)) this.upTo = next.to;
        const mine = this.stream ? lines.filter((line) => line.stream === this.stream) : lines;
        if (mine.length > 0 || next.status !== this.lastStatus || next.closed) yield this.deliver(mine, next.status);
        if (next.closed) return;
      }
    } finally {
      this.close();
    }
  }

  /** One page of stored lines in (upTo, bound]; null when the page held none of this tail's stream. */
  private async catchUp(bound: string): Promise<TailEvent | null> {
    const lines = await this.logs.list({ jobId: this.follower.jobId, after: this.upTo ?? undefined, through: bound, limit: CATCH_UP_PAGE }, true);
    this.upTo = lines.length === CATCH_UP_PAGE ? lines.at(-1)!.ts : bound;
    const mine = this.stream ? lines.filter((line) => line.stream === this.stream) : lines;
    const status = this.follower.status;
    return mine.length > 0 || status !== this.lastStatus ? this.deliver(mine, status) : null;
  }

  private deliver(lines: LogLine[], status: JobStatus): TailEvent {
    this.lastStatus = status;
    if (lines.length > 0) this.resumeTs = lines.at(-1)!.ts;
    return { lines, status, resumeTs: this.resumeTs };
  }
}
