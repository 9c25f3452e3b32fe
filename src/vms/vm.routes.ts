// /api/vms: the legacy REST routes over VmService.
import { z } from "zod";
import { pageArgs, pageQuery, pageSchema, presentPage } from "../rest/pagination";
import { defineRoute } from "../rest/route";
import { notFound } from "../shared/errors";
import { presentVm, vmJsonSchema } from "./vm.presenter";
import { createVmSchema, VM_LIMITS, vmIdSchema } from "./vm.schema";
import { VM_PAGE } from "./vm.service";

const vmParams = z.object({ vmId: vmIdSchema });

export const VM_ROUTES = [
  defineRoute({
    operationId: "listVms",
    method: "get",
    path: "/vms",
    tag: "vms",
    summary: "List VMs; with `environment`, that environment's newest first.",
    auth: "signed-in",
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
    auth: "write",
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
    auth: "signed-in",
    request: { params: vmParams },
    success: { status: 200, description: "The VM.", schema: vmJsonSchema },
    errors: [404],
    handler: async ({ actor, services, params }) => {
      const vm = await services.vms.get(actor, params.vmId);
      if (!vm) throw notFound("vm", params.vmId);
      return presentVm(vm);
    },
  }),
];
