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

/**
 * The one merge rule for two copies of one job (every cache writer folds with
 * it: CacheWriter's queue, the stream consumer's rounds, and the cache upsert
 * as SQL, JobCacheRepository's JOB_MERGE_SQL). The incoming copy wins, except:
 * - a finished status beats running: a stale copy (an eventually consistent
 *   read being backfilled, a replayed stream record) cannot undo a newer one,
 *   so the current copy is kept whole;
 * - a copy without a commandId (cached before commandId was kept) keeps the
 *   one already known.
 */
export function mergeJob(current: Job | undefined, incoming: Job): Job {
  if (!current) return incoming;
  if (current.status !== "running" && incoming.status === "running") return current;
  return incoming.commandId === null && current.commandId !== null ? { ...incoming, commandId: current.commandId } : incoming;
}
