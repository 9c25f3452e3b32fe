// The timer behind PURGE_CRON: runs the cache purge at each time the schedule
// (src/config/purge-schedule.ts, validated by env.ts) makes due.
import { describeSchedule, nextPurgeAt, type PurgeSchedule } from "../config/purge-schedule.js";
import type { Logger } from "../infra/logger.js";

export interface PurgeTimer {
  /** Cancels the next run and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `purge` at each due time. A run that fails is logged and the next one
 * is scheduled all the same; the timer never keeps the process alive.
 */
export function schedulePurge(schedule: PurgeSchedule, purge: () => Promise<void>, logger: Logger): PurgeTimer {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    const at = nextPurgeAt(schedule, new Date());
    timer = setTimeout(fire, Math.max(0, at.getTime() - Date.now()));
    timer.unref();
  };
  const fire = () => {
    running = purge()
      .catch((error: unknown) => logger.error({ err: error }, "scheduled cache purge failed"))
      .finally(() => {
        running = undefined;
        arm();
      });
  };
  arm();
  logger.info({ schedule: describeSchedule(schedule), next: nextPurgeAt(schedule, new Date()).toISOString() }, "cache purge scheduled");
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
