// The REST shape of a VM: the GraphQL Vm, flat, dates as ISO strings.
import { z } from "zod";
import type { Vm } from "./vm.model.js";

export const vmJsonSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    environment: z.string(),
    tags: z.record(z.string(), z.string()),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Vm" });
export type VmJson = z.infer<typeof vmJsonSchema>;

export function presentVm(vm: Vm): VmJson {
  return {
    id: vm.id,
    name: vm.name,
    environment: vm.environment,
    tags: vm.tags,
    createdAt: vm.createdAt.toISOString(),
    updatedAt: vm.updatedAt.toISOString(),
  };
}
