// Input rules for commands, shared by the GraphQL and REST transports.
// Command text: 1 to COMMAND_LIMITS.textBytes bytes (UTF-8), not blank, stored as sent.
import { z } from "zod";
import { storableText } from "../shared/storable-text.js";
import { uuidSchema } from "../shared/validation.js";
import { vmIdSchema } from "../vms/vm.schema.js";

export const COMMAND_LIMITS = { textBytes: 16 * 1024 };

export const commandIdSchema = uuidSchema;

export const sendCommandSchema = z.object({
  vmId: vmIdSchema,
  command: storableText(COMMAND_LIMITS.textBytes).refine((s) => s.trim().length > 0, "must not be empty"),
});
export type SendCommandInput = z.input<typeof sendCommandSchema>;

/** Listing commands: per VM only (the commands table's one ordered index is byVmId). */
export const listCommandsSchema = z.object({
  vmId: z
    .string({ error: (issue) => (issue.input === undefined ? "is required: commands are listed per VM" : undefined) })
    .pipe(vmIdSchema),
});
export type ListCommandsInput = z.input<typeof listCommandsSchema>;
