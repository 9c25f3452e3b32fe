// Input rules for jobs, shared by the GraphQL and REST transports.
import { z } from "zod";
import { uuidSchema } from "../shared/validation.js";
import { vmIdSchema } from "../vms/vm.schema.js";

export const jobIdSchema = uuidSchema;
export const jobStatusSchema = z.enum(["running", "success", "failed"]);

export const setJobStatusSchema = z.object({
  id: jobIdSchema,
  // RUNNING is a valid status but not a valid move: the service answers CONFLICT.
  status: jobStatusSchema,
});

const date = z.coerce.date({ error: "must be an ISO-8601 date-time" });

export const jobFilterFieldsSchema = z.object({
  vmId: vmIdSchema.nullish(),
  status: jobStatusSchema.nullish(),
  startedAfter: date.nullish(),
  startedBefore: date.nullish(),
});
export const jobFilterSchema = jobFilterFieldsSchema.nullish();
export type JobFilterInput = z.input<typeof jobFilterSchema>;

export const readConsistencySchema = z.enum(["cache", "strong"]);
export type ReadConsistency = z.infer<typeof readConsistencySchema>;
