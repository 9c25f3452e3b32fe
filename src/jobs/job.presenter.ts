// The REST shape of a job: the GraphQL Job, flat, `status` in lower case as stored.
import { z } from "zod";
import type { Job } from "./job.model.js";
import { jobStatusSchema } from "./job.schema.js";

export const jobJsonSchema = z
  .object({
    id: z.uuid(),
    vmId: z.string(),
    commandId: z.uuid().nullable(),
    command: z.string().meta({ description: "The command text that ran." }),
    status: jobStatusSchema,
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "Job" });
export type JobJson = z.infer<typeof jobJsonSchema>;

export function presentJob(job: Job): JobJson {
  return {
    id: job.id,
    vmId: job.vmId,
    commandId: job.commandId,
    command: job.command,
    status: job.status,
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}
