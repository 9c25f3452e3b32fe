import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    // Secrets never reach the log, whatever a caller passes.
    redact: { paths: ["*.password", "*.passwordHash", "*.token", "req.headers.authorization"], censor: "[redacted]" },
  });
}
