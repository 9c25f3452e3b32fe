// Sign-in throttling: how many password guesses a client may make. Counted
// per attempt (each `login` alias, each REST call), before the password is
// checked, in counters every instance shares (Redis; in memory with one instance).
// - consecutive failures per account and client IP: the 10th locks that pair
//   for 15 minutes, a correct password included; a success clears the streak;
// - failures per client IP: 100 an hour, over all accounts.
// The account is keyed by the email as typed (normalised and hashed), whether
// or not it exists, so the answers say nothing about which emails exist, and a
// lock binds one email from one IP: nobody else is locked out by it.
import { createHash } from "node:crypto";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Logger } from "../infra/logger.js";
import type { RedisClient } from "../infra/redis.js";
import { RateLimitedError } from "../shared/errors.js";

export const SIGN_IN_LIMITS = {
  consecutiveFailures: 10,
  lockSeconds: 15 * 60,
  /** A streak of failures is forgotten this long after its last failure. */
  streakSeconds: 24 * 60 * 60,
  failuresPerIp: 100,
  ipWindowSeconds: 60 * 60,
};

export interface SignInAttempt {
  /** Normalised (trimmed, lower-cased). */
  email: string;
  clientIp: string | undefined;
}

/** What the caller reports once the password was checked. */
export interface PendingAttempt {
  succeeded(): Promise<void>;
  failed(): Promise<void>;
}

type Limiters = { pair: RateLimiterAbstract; ip: RateLimiterAbstract };

function limiters(redis: RedisClient | undefined, keyPrefix: string): Limiters {
  // blockDuration: an attempt past the streak (parallel guesses) locks too.
  const pair = { points: SIGN_IN_LIMITS.consecutiveFailures, duration: SIGN_IN_LIMITS.streakSeconds, blockDuration: SIGN_IN_LIMITS.lockSeconds };
  const ip = { points: SIGN_IN_LIMITS.failuresPerIp, duration: SIGN_IN_LIMITS.ipWindowSeconds };
  if (!redis) {
    return { pair: new RateLimiterMemory({ ...pair, keyPrefix: "pair" }), ip: new RateLimiterMemory({ ...ip, keyPrefix: "ip" }) };
  }
  // While Redis is unreachable each instance counts in its own memory: sign-in
  // stays available, throttled per instance, rather than failing for everyone.
  return {
    pair: new RateLimiterRedis({
      ...pair,
      storeClient: redis,
      keyPrefix: `${keyPrefix}signin:pair`,
      insuranceLimiter: new RateLimiterMemory({ ...pair, keyPrefix: "pair" }),
    }),
    ip: new RateLimiterRedis({
      ...ip,
      storeClient: redis,
      keyPrefix: `${keyPrefix}signin:ip`,
      insuranceLimiter: new RateLimiterMemory({ ...ip, keyPrefix: "ip" }),
    }),
  };
}

const refused = (res: RateLimiterRes) =>
  new RateLimitedError("too many sign-in attempts; try again later", Math.max(1, Math.ceil(res.msBeforeNext / 1000)));

export class SignInThrottle {
  private readonly limiters: Limiters;

  constructor(redis: RedisClient | undefined, keyPrefix: string, private readonly logger?: Logger) {
    this.limiters = limiters(redis, keyPrefix);
  }

  /**
   * Counts the attempt before the password is checked, so parallel guesses
   * cannot all pass the check at once; RATE_LIMITED when the pair is locked or
   * the IP has no failures left. A success gives the IP its point back.
   */
  async begin(attempt: SignInAttempt): Promise<PendingAttempt> {
    const ipKey = attempt.clientIp ?? "unknown";
    const pairKey = createHash("sha256").update(`${attempt.email}\n${ipKey}`).digest("base64url");
    const { pair, ip } = this.limiters;
    await consume(ip, ipKey);
    let streak: RateLimiterRes;
    try {
      streak = await consume(pair, pairKey);
    } catch (error) {
      await ip.reward(ipKey).catch(() => undefined);
      throw error;
    }
    return {
      succeeded: async () => {
        await Promise.all([ip.reward(ipKey), pair.delete(pairKey)]);
      },
      failed: async () => {
        if (streak.consumedPoints >= SIGN_IN_LIMITS.consecutiveFailures) {
          await pair.block(pairKey, SIGN_IN_LIMITS.lockSeconds);
          this.logger?.warn({ clientIp: ipKey }, "sign-in locked for an account from this IP after consecutive failures");
        }
      },
    };
  }
}

async function consume(limiter: RateLimiterAbstract, key: string): Promise<RateLimiterRes> {
  try {
    return await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw refused(rejection);
    throw rejection;
  }
}
