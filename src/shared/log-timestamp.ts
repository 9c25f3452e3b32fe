// Log timestamps keep microseconds: "2026-11-26T09:41:10.123456Z". Fixed width,
// so string order is time order; JavaScript's Date keeps only milliseconds, so
// timestamps stay strings and are shifted with BigInt microseconds.
const PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;

export function isLogTimestamp(value: string): boolean {
  const match = PATTERN.exec(value);
  if (!match) return false;
  const millis = Date.parse(`${value.slice(0, 23)}Z`);
  // Rejects 2026-02-30 and the like, which Date.parse would roll over.
  return !Number.isNaN(millis) && new Date(millis).toISOString().slice(0, 19) === value.slice(0, 19);
}

/**
 * A UTC `timestamp` as PostgreSQL's JSON prints it ("2026-11-26T09:41:10.12":
 * trailing fractional zeros dropped, and a zero fraction with its point) as a
 * LogTimestamp ("2026-11-26T09:41:10.120000Z").
 */
export function logTimestampFromJson(text: string): string {
  if (text.length === 26) return `${text}Z`;
  return `${(text.length === 19 ? `${text}.` : text).padEnd(26, "0")}Z`;
}

export function toMicros(ts: string): bigint {
  return BigInt(Date.parse(`${ts.slice(0, 19)}Z`)) * 1000n + BigInt(ts.slice(20, 26));
}

export function fromMicros(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = (micros % 1_000_000n).toString().padStart(6, "0");
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

/** Now, in microseconds (the clock's sub-millisecond part comes from hrtime). */
export function nowLogTimestamp(): string {
  const micros = BigInt(Date.now()) * 1000n + (process.hrtime.bigint() / 1000n) % 1000n;
  return fromMicros(micros);
}

/** A Date (millisecond precision) as a LogTimestamp. */
export function dateToLogTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000Z`;
}
