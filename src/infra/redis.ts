// The Redis connection for what instances share (REDIS_URL): sign-in
// throttling now, the live tail's doorbell later. One client per process.
import { Redis } from "ioredis";
import type { Logger } from "./logger.js";

export type RedisClient = Redis;

export function createRedis(url: string, logger: Logger): RedisClient {
  const redis = new Redis(url, {
    // A command fails after two reconnect attempts instead of waiting for Redis
    // forever: callers fall back (sign-in throttling counts in memory meanwhile).
    maxRetriesPerRequest: 2,
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
