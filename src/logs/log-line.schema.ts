// Input rules for log lines, shared by the GraphQL and REST transports.
// Limits (documented in the README): at most LOG_LIMITS.linesPerCall lines per
// appendJobLogs call and LOG_LIMITS.lineBytes bytes (UTF-8) per line; the whole
// batch is validated before anything is written. The request body limit
// (2 MB for GraphQL) bounds a call too. NUL characters and lone surrogates are
// refused (see storableText): the cache must hold the same bytes as DynamoDB.
import { z } from "zod";
import { isLogTimestamp } from "../shared/log-timestamp.js";
import { storableText } from "../shared/storable-text.js";
import { uuidSchema } from "../shared/validation.js";

export const LOG_LIMITS = { linesPerCall: 5_000, lineBytes: 16 * 1024 };

export const logTimestampSchema = z
  .string()
  .refine(isLogTimestamp, "must be a LogTimestamp like 2026-11-26T09:41:10.123456Z (UTC, 6 fractional digits)")
  // Microsecond arithmetic (toMicros/fromMicros) and both stores agree from the epoch on.
  .refine((ts) => ts >= "1970-01-01T00:00:00.000000Z", "must not be before 1970-01-01T00:00:00.000000Z");

export const logStreamSchema = z.enum(["stdout", "stderr"]);

export const logLineInputSchema = z.object({
  ts: logTimestampSchema.nullish(),
  stream: logStreamSchema,
  data: storableText(LOG_LIMITS.lineBytes),
});

export const appendLogsSchema = z.object({
  jobId: uuidSchema,
  lines: z.array(logLineInputSchema).max(LOG_LIMITS.linesPerCall, `at most ${LOG_LIMITS.linesPerCall} lines per call`),
});
export type AppendLogsInput = z.input<typeof appendLogsSchema>;

export const logsQuerySchema = z.object({
  jobId: uuidSchema,
  stream: logStreamSchema.nullish(),
  since: logTimestampSchema.nullish(),
});
