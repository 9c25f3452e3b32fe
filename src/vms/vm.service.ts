import { randomUUID } from "node:crypto";
import { OPERATIONS } from "../auth/operations.js";
import { authorize, type Actor } from "../auth/permissions.js";
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from "../shared/pagination.js";
import { parseInput } from "../shared/validation.js";
import { z } from "zod";
import type { Vm } from "./vm.model.js";
import type { VmRepository } from "./vm.repository.js";
import { conflict, notFound } from "../shared/errors.js";
import { createVmSchema, updateVmSchema, vmIdSchema, type CreateVmInput, type UpdateVmInput } from "./vm.schema.js";

export const VM_PAGE = { default: 50, max: 100 };
const CURSOR_KIND = "vm";
const cursorShape = { id: z.string(), createdAt: z.string() };

export interface ListVmsArgs {
  environment?: string | null;
  first?: number | null;
  after?: string | null;
}

/** The VM, or NOT_FOUND: for the lists under one VM that need it to exist (REST's /vms/{vmId}/jobs and /commands). */
export async function requireVm(vms: VmRepository, id: string): Promise<Vm> {
  const vm = await vms.get(id);
  if (!vm) throw notFound("vm", id);
  return vm;
}

export class VmService {
  constructor(private readonly vms: VmRepository) {}

  /** Null for an unknown id (GraphQL `vm(id)` answers null, REST 404). */
  async get(actor: Actor | null, id: string): Promise<Vm | null> {
    authorize(actor, OPERATIONS.vm);
    if (!vmIdSchema.safeParse(id).success) return null;
    return this.vms.get(id);
  }

  async list(actor: Actor | null, args: ListVmsArgs): Promise<Page<Vm>> {
    authorize(actor, OPERATIONS.vms);
    const size = pageSize(args.first, VM_PAGE.default, VM_PAGE.max);
    const after = args.after ? decodeCursor(CURSOR_KIND, args.after, cursorShape) : undefined;
    const environment = args.environment ?? undefined;
    const items = await this.vms.list({ environment, limit: size + 1, after });
    return toPage(items, size, (vm) => encodeCursor(CURSOR_KIND, { id: vm.id, createdAt: vm.createdAt.toISOString() }));
  }

  async create(actor: Actor | null, input: CreateVmInput): Promise<Vm> {
    authorize(actor, OPERATIONS.createVm);
    const valid = parseInput(createVmSchema, input);
    const now = new Date();
    const id = valid.id ?? randomUUID();
    const result = await this.vms.create({
      id,
      name: valid.name,
      environment: valid.environment,
      tags: valid.tags ?? {},
      createdAt: now,
      updatedAt: now,
    });
    if (result.outcome === "exists") throw conflict(`vm ${id} already exists`);
    return result.vm;
  }

  /** Changes name, environment and/or tags; createdAt stays, updatedAt moves. NOT_FOUND for an unknown VM. */
  async update(actor: Actor | null, id: string, input: UpdateVmInput): Promise<Vm> {
    authorize(actor, OPERATIONS.updateVm);
    const vmId = parseInput(vmIdSchema, id, "id");
    const valid = parseInput(updateVmSchema, input);
    const updated = await this.vms.update(
      vmId,
      { name: valid.name ?? undefined, environment: valid.environment ?? undefined, tags: valid.tags ?? undefined },
      new Date(),
    );
    if (!updated) throw notFound("vm", vmId);
    return updated;
  }

  /** Deletes the VM; its commands and jobs stay, their `vm` becomes null. NOT_FOUND for an unknown VM. */
  async delete(actor: Actor | null, id: string): Promise<boolean> {
    authorize(actor, OPERATIONS.deleteVm);
    const vmId = parseInput(vmIdSchema, id, "id");
    if (!(await this.vms.delete(vmId))) throw notFound("vm", vmId);
    return true;
  }
}
