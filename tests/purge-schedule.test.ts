// PURGE_CRON: what it accepts, when the next run is due, and the timer that runs it.
import { afterEach, describe, expect, it, vi } from "vitest";
import { schedulePurge } from "../src/cache/purge-schedule";
import { nextPurgeAt, parsePurgeSchedule } from "../src/config/purge-schedule";
import { ConfigError, loadConfig } from "../src/config/env";
import { createLogger } from "../src/infra/logger";

describe("parsePurgeSchedule", () => {
  it.each([
    ["03:30", { kind: "daily", hour: 3, minute: 30 }],
    ["daily 3:05", { kind: "daily", hour: 3, minute: 5 }],
    ["30 3 * * *", { kind: "daily", hour: 3, minute: 30 }],
    ["@daily", { kind: "daily", hour: 0, minute: 0 }],
    ["@hourly", { kind: "hourly", minute: 0 }],
    ["every 6h", { kind: "every", ms: 6 * 3_600_000 }],
    ["every 45m", { kind: "every", ms: 45 * 60_000 }],
  ])("%s", (text, expected) => {
    expect(parsePurgeSchedule(text)).toEqual(expected);
  });

  it.each(["24:00", "12:60", "*/5 * * * *", "0 3 * * 1", "every 0m", "every 8d", "every 200h", "tomorrow", "3"])(
    "rejects %s, saying what is accepted",
    (text) => {
      const parsed = parsePurgeSchedule(text);
      expect(parsed).toBeInstanceOf(Error);
      expect((parsed as Error).message).toContain("HH:MM");
    },
  );
});

describe("nextPurgeAt", () => {
  const at = (iso: string) => new Date(iso);
  it("is later today, or tomorrow once the time has passed (UTC)", () => {
    const daily = { kind: "daily", hour: 3, minute: 30 } as const;
    expect(nextPurgeAt(daily, at("2026-11-26T01:00:00Z")).toISOString()).toBe("2026-11-26T03:30:00.000Z");
    expect(nextPurgeAt(daily, at("2026-11-26T03:30:00Z")).toISOString()).toBe("2026-11-27T03:30:00.000Z");
    expect(nextPurgeAt(daily, at("2026-12-31T23:59:00Z")).toISOString()).toBe("2027-01-01T03:30:00.000Z");
  });
  it("hourly and every", () => {
    expect(nextPurgeAt({ kind: "hourly", minute: 0 }, at("2026-11-26T10:20:00Z")).toISOString()).toBe("2026-11-26T11:00:00.000Z");
    expect(nextPurgeAt({ kind: "every", ms: 60_000 }, at("2026-11-26T10:20:00Z")).toISOString()).toBe("2026-11-26T10:21:00.000Z");
  });
});

describe("PURGE_CRON in the configuration", () => {
  it("is parsed", () => {
    expect(loadConfig({ PURGE_CRON: "04:15" }).purgeSchedule).toEqual({ kind: "daily", hour: 4, minute: 15 });
    expect(loadConfig({}).purgeSchedule).toBeUndefined();
  });
  it("refuses a schedule it cannot read, naming the variable", () => {
    expect(() => loadConfig({ PURGE_CRON: "sometimes" })).toThrow(ConfigError);
    expect(() => loadConfig({ PURGE_CRON: "sometimes" })).toThrow(/PURGE_CRON: "sometimes" is not a schedule/);
  });
});

describe("schedulePurge", () => {
  afterEach(() => vi.useRealTimers());

  it("runs at each due time, and keeps going after a failed run", async () => {
    vi.useFakeTimers({ now: new Date("2026-11-26T10:00:30Z") });
    let runs = 0;
    const timer = schedulePurge(
      { kind: "hourly", minute: 0 },
      async () => {
        runs++;
        if (runs === 1) throw new Error("postgres down");
      },
      createLogger("silent"),
    );
    await vi.advanceTimersByTimeAsync(59 * 60_000);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000); // 11:00:30
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(3_600_000); // 12:00:30
    expect(runs).toBe(2);
    await timer.stop();
    await vi.advanceTimersByTimeAsync(10 * 3_600_000);
    expect(runs).toBe(2);
  });
});
