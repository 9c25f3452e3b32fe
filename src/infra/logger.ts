import { createRequire } from "node:module";
import { pino, type Logger } from "pino";

export type { Logger };

export interface LoggerOptions {
  /** Human-readable lines (pino-pretty) instead of JSON; only honoured when pino-pretty is installed (development). */
  pretty?: boolean;
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  return pino({
    level,
    // Secrets never reach the log, whatever a caller passes.
    redact: { paths: ["*.password", "*.passwordHash", "*.token", "req.headers.authorization"], censor: "[redacted]" },
    // pino-pretty is a development dependency: a production install logs JSON lines.
    ...(options.pretty && hasPinoPretty() ? { transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" } } } : {}),
  });
}

/** Development on a terminal gets readable lines; production and anything piped (log shippers, tests) get JSON. */
export function wantsPrettyLogs(isProduction: boolean): boolean {
  return !isProduction && process.stdout.isTTY === true;
}

function hasPinoPretty(): boolean {
  try {
    createRequire(import.meta.url).resolve("pino-pretty");
    return true;
  } catch {
    return false;
  }
}
