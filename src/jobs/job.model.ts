/** As stored: lower case in both stores; GraphQL shows RUNNING/SUCCESS/FAILED. */
export type JobStatus = "running" | "success" | "failed";

export interface Job {
  /** UUID. */
  id: string;
  vmId: string;
  /** The command this job runs; null for jobs cached before commandId was kept. */
  commandId: string | null;
  /** The command text that ran. */
  command: string;
  status: JobStatus;
  startedAt: Date | null;
  finishedAt: Date | null;
}
