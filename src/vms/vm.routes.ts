// /api/vms: the legacy REST routes over VmService, and a VM's jobs and
// commands (Vm.jobs, Vm.commands) over JobService and CommandService.
import { z } from "zod";
import { OPERATIONS } from "../auth/operations.js";
import { commandJsonSchema, presentCommand } from "../commands/command.presenter.js";
import { COMMAND_PAGE } from "../commands/command.service.js";
import { jobJsonSchema, presentJob } from "../jobs/job.presenter.js";
import { jobStatusSchema } from "../jobs/job.schema.js";
import { JOB_PAGE } from "../jobs/job.service.js";
import { pageArgs, pageQuery, pageSchema, presentPage } from "../rest/pagination.js";
import { defineRoute } from "../rest/route.js";
import { notFound } from "../shared/errors.js";
import { presentVm, vmJsonSchema } from "./vm.presenter.js";
import { createVmSchema, updateVmSchema, VM_LIMITS, vmIdSchema } from "./vm.schema.js";
import { VM_PAGE } from "./vm.service.js";

const vmParams = z.object({ vmId: vmIdSchema });

export const VM_ROUTES = [
  defineRoute({
    operationId: "listVms",
    method: "get",
    path: "/vms",
    tag: "vms",
    summary: "List VMs; with `environment`, that environment's newest first.",
    auth: OPERATIONS.vms,
    request: {
      query: z.object({
        environment: z.string().max(VM_LIMITS.environmentLength).optional(),
        ...pageQuery(VM_PAGE.max),
      }),
    },
    success: { status: 200, description: "A page of VMs.", schema: pageSchema(vmJsonSchema) },
    handler: async ({ actor, services, query }) =>
      presentPage(
        await services.vms.list(actor, { environment: query.environment, ...pageArgs(query, VM_PAGE.max) }),
        presentVm,
      ),
  }),

  defineRoute({
    operationId: "createVm",
    method: "post",
    path: "/vms",
    tag: "vms",
    summary: "Register a VM; `id` is generated when absent.",
    auth: OPERATIONS.createVm,
    request: { body: createVmSchema.meta({ id: "CreateVm" }) },
    success: { status: 201, description: "The VM as stored.", schema: vmJsonSchema },
    errors: [409],
    handler: async ({ actor, services, body }) => presentVm(await services.vms.create(actor, body)),
  }),

  defineRoute({
    operationId: "getVm",
    method: "get",
    path: "/vms/{vmId}",
    tag: "vms",
    summary: "One VM.",
    auth: OPERATIONS.vm,
    request: { params: vmParams },
    success: { status: 200, description: "The VM.", schema: vmJsonSchema },
    errors: [404],
    handler: async ({ actor, services, params }) => {
      const vm = await services.vms.get(actor, params.vmId);
      if (!vm) throw notFound("vm", params.vmId);
      return presentVm(vm);
    },
  }),

  defineRoute({
    operationId: "updateVm",
    method: "patch",
    path: "/vms/{vmId}",
    tag: "vms",
    summary: "Change a VM's name, environment and/or tags (tags are replaced whole); updatedAt moves.",
    auth: OPERATIONS.updateVm,
    request: { params: vmParams, body: updateVmSchema.meta({ id: "UpdateVm" }) },
    success: { status: 200, description: "The VM as stored.", schema: vmJsonSchema },
    errors: [404],
    handler: async ({ actor, services, params, body }) => presentVm(await services.vms.update(actor, params.vmId, body)),
  }),

  defineRoute({
    operationId: "deleteVm",
    method: "delete",
    path: "/vms/{vmId}",
    tag: "vms",
    summary: "Delete a VM; its commands and jobs stay (GET /api/commands?vmId= and /api/jobs?vmId= still list them).",
    auth: OPERATIONS.deleteVm,
    request: { params: vmParams },
    success: { status: 204, description: "Deleted." },
    errors: [404],
    handler: async ({ actor, services, params }) => {
      await services.vms.delete(actor, params.vmId);
    },
  }),

  defineRoute({
    operationId: "listVmJobs",
    method: "get",
    path: "/vms/{vmId}/jobs",
    tag: "vms",
    summary: "The VM's jobs (those started since it was created), newest first; `status` filters.",
    auth: OPERATIONS["Vm.jobs"],
    request: {
      params: vmParams,
      query: z.object({ status: jobStatusSchema.optional(), ...pageQuery(JOB_PAGE.max) }),
    },
    success: { status: 200, description: "A page of jobs.", schema: pageSchema(jobJsonSchema) },
    errors: [404],
    handler: async ({ actor, services, params, query }) =>
      presentPage(
        await services.jobs.listForVm(actor, params.vmId, { status: query.status, ...pageArgs(query, JOB_PAGE.max) }),
        presentJob,
      ),
  }),

  defineRoute({
    operationId: "listVmCommands",
    method: "get",
    path: "/vms/{vmId}/commands",
    tag: "vms",
    summary: "The VM's commands (those sent since it was created), newest first.",
    auth: OPERATIONS["Vm.commands"],
    request: { params: vmParams, query: z.object(pageQuery(COMMAND_PAGE.max)) },
    success: { status: 200, description: "A page of commands.", schema: pageSchema(commandJsonSchema) },
    errors: [404],
    handler: async ({ actor, services, params, query }) =>
      presentPage(await services.commands.listForVm(actor, params.vmId, pageArgs(query, COMMAND_PAGE.max)), presentCommand),
  }),
];
