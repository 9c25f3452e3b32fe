// What the write services tell the live tail, after DynamoDB accepted a write:
// the port they depend on (no Redis in the services).
import type { Job } from "../jobs/job.model.js";
import type { Doorbell } from "./doorbell.js";

export interface LiveEvents {
  /** An append ended (stored, failed or fenced): the job's log watermark may have moved. */
  logMoved(jobId: string): void;
  /** A job started or changed status. */
  jobChanged(job: Job): void;
}

export const logTopic = (jobId: string) => `log:${jobId}`;
export const jobTopic = (jobId: string) => `job:${jobId}`;
export const vmTopic = (vmId: string) => `vm:${vmId}`;

export function doorbellEvents(doorbell: Doorbell): LiveEvents {
  return {
    logMoved: (jobId) => doorbell.ring(logTopic(jobId)),
    jobChanged: (job) => {
      // A finished status closes the log: its tails hear it on the log's topic.
      doorbell.ring(logTopic(job.id));
      doorbell.ring(jobTopic(job.id));
      doorbell.ring(vmTopic(job.vmId));
    },
  };
}
