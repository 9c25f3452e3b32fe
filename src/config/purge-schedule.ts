// PURGE_CRON: when set, the server purges the cache itself on this schedule
// (times in UTC). A deliberately small language, so nothing is guessed:
//   "03:30", "daily 03:30", "30 3 * * *"  every day at 03:30 UTC
//   "@daily" / "@hourly"                  at 00:00 / at minute 0 of each hour
//   "every 6h", "every 45m"               at that interval from start (1m to 7d)
// Several instances may share one schedule: the purge's advisory lock lets
// one of them work and the others report "skipped". The language lives in
// config/ (env.ts validates PURGE_CRON with it); the timer that runs the purge
// is src/cache/purge-schedule.ts.

export type PurgeSchedule =
  | { kind: "daily"; hour: number; minute: number }
  | { kind: "hourly"; minute: number }
  | { kind: "every"; ms: number };

const MINUTE = 60_000;
const MAX_INTERVAL = 7 * 24 * 60 * MINUTE;

const two = (n: number) => String(n).padStart(2, "0");

function clock(hour: string, minute: string): PurgeSchedule | undefined {
  const h = Number(hour);
  const m = Number(minute);
  if (!Number.isInteger(h) || !Number.isInteger(m) || h < 0 || h > 23 || m < 0 || m > 59) return undefined;
  return { kind: "daily", hour: h, minute: m };
}

/** The schedule, or an Error whose message says what is accepted. */
export function parsePurgeSchedule(text: string): PurgeSchedule | Error {
  const value = text.trim().toLowerCase().replace(/\s+/g, " ");
  let parsed: PurgeSchedule | undefined;
  let match: RegExpExecArray | null;
  if (value === "@daily" || value === "@midnight") parsed = { kind: "daily", hour: 0, minute: 0 };
  else if (value === "@hourly") parsed = { kind: "hourly", minute: 0 };
  else if ((match = /^(?:daily )?(\d{1,2}):(\d{2})$/.exec(value))) parsed = clock(match[1]!, match[2]!);
  else if ((match = /^(\d{1,2}) (\d{1,2}) \* \* \*$/.exec(value))) parsed = clock(match[2]!, match[1]!);
  else if ((match = /^every (\d+) ?(m|min|h)$/.exec(value))) {
    const ms = Number(match[1]) * (match[2] === "h" ? 60 * MINUTE : MINUTE);
    if (ms >= MINUTE && ms <= MAX_INTERVAL) parsed = { kind: "every", ms };
  }
  return (
    parsed ??
    new Error(
      `"${text}" is not a schedule: use "HH:MM" or "M H * * *" (daily, UTC), "@daily", "@hourly", or "every <n>m|h" (1m to 7 days)`,
    )
  );
}

/** When the next run is due after `now`. */
export function nextPurgeAt(schedule: PurgeSchedule, now: Date): Date {
  switch (schedule.kind) {
    case "every":
      return new Date(now.getTime() + schedule.ms);
    case "hourly": {
      const next = new Date(now);
      next.setUTCMinutes(schedule.minute, 0, 0);
      if (next <= now) next.setUTCHours(next.getUTCHours() + 1);
      return next;
    }
    case "daily": {
      const next = new Date(now);
      next.setUTCHours(schedule.hour, schedule.minute, 0, 0);
      if (next <= now) next.setUTCDate(next.getUTCDate() + 1);
      return next;
    }
  }
}

export function describeSchedule(schedule: PurgeSchedule): string {
  switch (schedule.kind) {
    case "every":
      return `every ${schedule.ms / MINUTE} minutes`;
    case "hourly":
      return `hourly at minute ${schedule.minute}`;
    case "daily":
      return `daily at ${two(schedule.hour)}:${two(schedule.minute)} UTC`;
  }
}

