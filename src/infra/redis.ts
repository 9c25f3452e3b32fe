// The Redis connection for what instances share (REDIS_URL): sign-in
// throttling now, the live tail's doorbell later. One client per process.
import { Redis } from "ioredis";
import type { Logger } from "./logger.js";

export type RedisClient = Redis;

export function createRedis(url: string, logger: Logger): RedisClient {
  const redis = new Redis(url, {
    // While Redis is unreachable a command fails at once instead of queueing
    // until it is back: callers fall back (sign-in throttling counts in memory
    // meanwhile) rather than every sign-in waiting out the reconnects.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectionName: "vmo-api",
  });
  let down = false;
  redis.on("error", (error: Error) => {
    if (!down) logger.warn({ err: error }, "Redis unreachable");
    down = true;
  });
  redis.on("ready", () => {
    if (down) logger.info("Redis reachable again");
    down = false;
  });
  return redis;
}

/** Until the first connection is ready, or failed, or `ms` passed: the server listens either way. */
export function redisReady(redis: RedisClient, ms = 5_000): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done).off("error", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once("ready", done).once("error", done);
  });
}
