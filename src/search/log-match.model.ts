import type { Job } from "../jobs/job.model.js";
import type { LogLine } from "../logs/log-line.model.js";
import type { TextRange } from "./log-pattern.js";

/** A line that matched a search, where it matched, and its cursor in Job.logs. */
export interface LogMatch {
  line: LogLine;
  /** The line's job: always set for an all-jobs search; for one job, when the caller had it (Job.searchLogs). */
  job: Job | null;
  ranges: TextRange[];
  lineCursor: string;
}
