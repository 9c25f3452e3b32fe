// The REST shapes of log lines: the GraphQL LogLine, flat; `ts` keeps its microseconds.
import { z } from "zod";
import type { LogLine } from "./log-line.model.js";
import { logStreamSchema } from "./log-line.schema.js";
import type { AppendLogsResult } from "./log-line.service.js";

const logTimestampJson = z.string().meta({ description: "UTC with microseconds, e.g. 2026-11-26T09:41:10.123456Z." });

export const logLineJsonSchema = z
  .object({ jobId: z.uuid(), ts: logTimestampJson, stream: logStreamSchema, data: z.string() })
  .meta({ id: "LogLine" });
export type LogLineJson = z.infer<typeof logLineJsonSchema>;

export function presentLogLine(line: LogLine): LogLineJson {
  return { jobId: line.jobId, ts: line.ts, stream: line.stream, data: line.data };
}

export const appendLogsResultJsonSchema = z
  .object({
    accepted: z.number().int().meta({ description: "Lines stored, equal to the number sent." }),
    lastTs: logTimestampJson.nullable().meta({ description: "Timestamp of the last stored line; null for no lines." }),
  })
  .meta({ id: "AppendLogsResult" });

export function presentAppendLogs(result: AppendLogsResult): z.infer<typeof appendLogsResultJsonSchema> {
  return { accepted: result.accepted, lastTs: result.lastTs };
}
