// /api/commands: the legacy REST routes over CommandService.
import { z } from "zod";
import { OPERATIONS } from "../auth/operations.js";
import { pageArgs, pageQuery, pageSchema, presentPage } from "../rest/pagination.js";
import { defineRoute } from "../rest/route.js";
import { notFound } from "../shared/errors.js";
import { commandJsonSchema, presentCommand, presentSendCommand, sendCommandJsonSchema } from "./command.presenter.js";
import { commandIdSchema, listCommandsSchema, sendCommandSchema } from "./command.schema.js";
import { COMMAND_PAGE } from "./command.service.js";

export const COMMAND_ROUTES = [
  defineRoute({
    operationId: "listCommands",
    method: "get",
    path: "/commands",
    tag: "commands",
    summary: "Commands sent to a VM, newest first, including those of a deleted VM.",
    description: "`vmId` is required (400 without it): commands are indexed per VM only.",
    auth: OPERATIONS.listCommands,
    request: { query: z.object({ ...listCommandsSchema.shape, ...pageQuery(COMMAND_PAGE.max) }) },
    success: { status: 200, description: "A page of commands.", schema: pageSchema(commandJsonSchema) },
    handler: async ({ actor, services, query }) =>
      presentPage(
        await services.commands.list(actor, { vmId: query.vmId, ...pageArgs(query, COMMAND_PAGE.max) }),
        presentCommand,
      ),
  }),

  defineRoute({
    operationId: "sendCommand",
    method: "post",
    path: "/commands",
    tag: "commands",
    summary: "Send a command to a VM: stores it and its job (status `running`) together.",
    auth: OPERATIONS.sendCommand,
    request: { body: sendCommandSchema.meta({ id: "SendCommand" }) },
    success: { status: 201, description: "The command and the job that runs it.", schema: sendCommandJsonSchema },
    errors: [404],
    handler: async ({ actor, services, body }) => presentSendCommand(await services.commands.send(actor, body)),
  }),

  defineRoute({
    operationId: "getCommand",
    method: "get",
    path: "/commands/{commandId}",
    tag: "commands",
    summary: "One command.",
    auth: OPERATIONS.command,
    request: { params: z.object({ commandId: commandIdSchema }) },
    success: { status: 200, description: "The command.", schema: commandJsonSchema },
    errors: [404],
    handler: async ({ actor, services, params }) => {
      const command = await services.commands.get(actor, params.commandId);
      if (!command) throw notFound("command", params.commandId);
      return presentCommand(command);
    },
  }),
];
