// The REST shape of a match: { line, jobId, ranges: [[start, end], ...], lineCursor }.
import { z } from "zod";
import { logLineJsonSchema, presentLogLine } from "../logs/log-line.presenter.js";
import type { LogMatch } from "./log-match.model.js";

export const logMatchJsonSchema = z
  .object({
    line: logLineJsonSchema,
    jobId: z.uuid(),
    ranges: z
      .array(z.tuple([z.number().int(), z.number().int()]))
      .meta({ description: "[start, end) ranges of UTF-16 code units in line.data, as stored (ANSI escapes included)." }),
    lineCursor: z.string().meta({ description: "The line's cursor in GET /api/logs/{jobId}: pass it as `cursor` there to read on from this line." }),
  })
  .meta({ id: "LogMatch" });

export function presentLogMatch(match: LogMatch): z.infer<typeof logMatchJsonSchema> {
  return {
    line: presentLogLine(match.line),
    jobId: match.line.jobId,
    ranges: match.ranges.map((r) => [r.start, r.end] as [number, number]),
    lineCursor: match.lineCursor,
  };
}
