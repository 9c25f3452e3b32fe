// Input rules for VMs, shared by the GraphQL and REST transports.
import { z } from "zod";

export const VM_LIMITS = { nameLength: 200, environmentLength: 64, tags: 50, tagKeyLength: 128, tagValueLength: 256 };

export const vmIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, "must be 1-128 letters, digits, '_', '.', ':' or '-', starting with a letter or digit");

const name = z.string().trim().min(1, "must not be empty").max(VM_LIMITS.nameLength);
const environment = z.string().trim().min(1, "must not be empty").max(VM_LIMITS.environmentLength);
const tags = z
  .record(
    z.string().min(1, "tag names must not be empty").max(VM_LIMITS.tagKeyLength),
    z.string({ error: "tag values must be strings" }).max(VM_LIMITS.tagValueLength),
  )
  .refine((value) => Object.keys(value).length <= VM_LIMITS.tags, `at most ${VM_LIMITS.tags} tags`);

export const createVmSchema = z.object({
  id: vmIdSchema.nullish(),
  name,
  environment,
  tags: tags.nullish(),
});
export type CreateVmInput = z.input<typeof createVmSchema>;

export const updateVmSchema = z
  .object({ name: name.nullish(), environment: environment.nullish(), tags: tags.nullish() })
  .refine((v) => v.name != null || v.environment != null || v.tags != null, "name, environment or tags must be given");
export type UpdateVmInput = z.input<typeof updateVmSchema>;
