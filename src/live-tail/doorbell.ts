// The live tail's doorbell: "topic X changed, look again". It carries no data
// (followers read lines and jobs from the stores), so a lost ring delays a
// follower by one poll and never loses anything.
//
// Topics: `log:<jobId>` (the job's log watermark moved, or its status did),
// `job:<jobId>` and `vm:<vmId>` (a job started or changed status).
import { EventEmitter } from "node:events";
import type { Logger } from "../infra/logger.js";
import type { RedisClient } from "../infra/redis.js";

export interface Doorbell {
  /** Tells every instance (this one included) that `topic` changed. Never throws. */
  ring(topic: string): void;
  /** Calls `listener` on every ring of `topic`, from any instance; returns the way to stop. */
  listen(topic: string, listener: () => void): () => void;
  /**
   * Whether rings from other instances arrive now. While not, followers read
   * the stores every second instead of waiting for a ring.
   */
  healthy(): boolean;
  /** Calls `listener` when rings may have been missed (the pub/sub came back): followers read once. */
  onRecovered(listener: () => void): void;
  /** Null when there is nothing to check (in process), else whether the pub/sub answers (for /readyz). */
  ping(): Promise<boolean | null>;
  close(): Promise<void>;
}

/** One instance: rings go to this process's listeners only. */
export class InProcessDoorbell implements Doorbell {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  ring(topic: string): void {
    this.emitter.emit(topic);
  }

  listen(topic: string, listener: () => void): () => void {
    this.emitter.on(topic, listener);
    return () => void this.emitter.off(topic, listener);
  }

  healthy(): boolean {
    return true;
  }

  onRecovered(): void {}

  async ping(): Promise<null> {
    return null;
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

/**
 * Redis pub/sub: the shared client publishes, a subscribed duplicate listens,
 * one channel per topic that this instance follows. While Redis is down a
 * ring reaches this instance's own listeners directly, and ioredis keeps
 * reconnecting (and resubscribes); other instances' rings are missed, which
 * their followers make up for by reading every second.
 */
export class RedisDoorbell implements Doorbell {
  private readonly local = new EventEmitter().setMaxListeners(0);
  private readonly publisher: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly recovered = new Set<() => void>();
  private wasDown = false;

  /** `redis` is the process's shared client (src/infra/redis.ts): it publishes; a duplicate subscribes. */
  constructor(
    redis: RedisClient,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    this.publisher = redis;
    // A subscribed connection may queue its SUBSCRIBEs until it is (re)connected; ioredis resubscribes after a reconnect.
    this.subscriber = redis.duplicate({ enableOfflineQueue: true, connectionName: "vmo-api-doorbell" });
    this.subscriber.on("error", (error: Error) => {
      if (!this.wasDown) logger.warn({ err: error }, "live tail: Redis unreachable; followers read the stores every second until it is back");
      this.wasDown = true;
    });
    this.subscriber.on("ready", () => {
      if (!this.wasDown) return;
      this.wasDown = false;
      logger.info("live tail: Redis is back");
      for (const listener of this.recovered) listener();
    });
    this.subscriber.on("message", (channel: string) => {
      if (channel.startsWith(this.prefix)) this.local.emit(channel.slice(this.prefix.length));
    });
  }

  ring(topic: string): void {
    if (this.publisher.status !== "ready") {
      this.local.emit(topic);
      return;
    }
    this.publisher.publish(this.prefix + topic, "").catch(() => this.local.emit(topic));
  }

  listen(topic: string, listener: () => void): () => void {
    if (this.local.listenerCount(topic) === 0) {
      this.subscriber.subscribe(this.prefix + topic).catch((error: unknown) => this.logger.debug({ err: error, topic }, "live tail: subscribe deferred"));
    }
    this.local.on(topic, listener);
    return () => {
      this.local.off(topic, listener);
      if (this.local.listenerCount(topic) === 0) this.subscriber.unsubscribe(this.prefix + topic).catch(() => undefined);
    };
  }

  healthy(): boolean {
    return this.subscriber.status === "ready" && this.publisher.status === "ready";
  }

  onRecovered(listener: () => void): void {
    this.recovered.add(listener);
  }

  async ping(): Promise<boolean> {
    if (this.publisher.status !== "ready") return false;
    return this.publisher.ping().then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    this.local.removeAllListeners();
    this.recovered.clear();
    // The shared client is the server's to close.
    this.subscriber.disconnect();
  }
}

/** How often a reader reads without a ring: while the doorbell is down, and as a safety net while it is up. */
export const POLL_MS = { doorbellDown: 1_000, safety: 10_000 };

/**
 * Calls `read` every POLL_MS.doorbellDown while the doorbell is down, and
 * while it is up only when nothing was read for POLL_MS.safety (a ring lost
 * on the way). `lastRead` is when the reader last read. Returns the stop.
 */
export function pollUnlessRung(doorbell: Doorbell, lastRead: () => number, read: () => void): () => void {
  const timer = setInterval(() => {
    if (!doorbell.healthy() || Date.now() - lastRead() >= POLL_MS.safety) read();
  }, POLL_MS.doorbellDown);
  timer.unref();
  return () => clearInterval(timer);
}
