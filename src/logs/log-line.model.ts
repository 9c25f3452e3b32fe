export type LogStream = "stdout" | "stderr";

export interface LogLine {
  jobId: string;
  /** LogTimestamp string with microseconds; unique within a job. */
  ts: string;
  stream: LogStream;
  data: string;
}
