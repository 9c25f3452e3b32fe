// The REST shapes of commands: the GraphQL Command, flat; `issuedBy` is the
// issuing user's id (GraphQL resolves it to a User), null once that user is erased.
import { z } from "zod";
import { jobJsonSchema, presentJob } from "../jobs/job.presenter.js";
import type { Command } from "./command.model.js";
import type { SendCommandResult } from "./command.service.js";

export const commandJsonSchema = z
  .object({
    id: z.uuid(),
    vmId: z.string(),
    command: z.string(),
    issuedBy: z.uuid().nullable().meta({ description: "The issuing user's id; null once that user is erased." }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Command" });
export type CommandJson = z.infer<typeof commandJsonSchema>;

export function presentCommand(command: Command): CommandJson {
  return {
    id: command.id,
    vmId: command.vmId,
    command: command.command,
    issuedBy: command.issuedBy,
    createdAt: command.createdAt.toISOString(),
  };
}

export const sendCommandJsonSchema = z
  .object({ command: commandJsonSchema, job: jobJsonSchema.meta({ description: "The job that runs it, status `running`." }) })
  .meta({ id: "SendCommandResult" });

export function presentSendCommand(result: SendCommandResult): z.infer<typeof sendCommandJsonSchema> {
  return { command: presentCommand(result.command), job: presentJob(result.job) };
}
