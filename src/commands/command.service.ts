import { randomUUID } from "node:crypto";
import { z } from "zod";
import { OPERATIONS } from "../auth/operations.js";
import { authorize, type Actor } from "../auth/permissions.js";
import type { LiveEvents } from "../live-tail/live-events.js";
import type { CacheWriter } from "../cache/cache-writer.js";
import type { Job } from "../jobs/job.model.js";
import type { JobRepository } from "../jobs/job.repository.js";
import { notFound } from "../shared/errors.js";
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from "../shared/pagination.js";
import { parseInput } from "../shared/validation.js";
import type { Vm } from "../vms/vm.model.js";
import type { VmRepository } from "../vms/vm.repository.js";
import { requireVm } from "../vms/vm.service.js";
import { vmIdSchema } from "../vms/vm.schema.js";
import type { Command } from "./command.model.js";
import type { CommandRepository } from "./command.repository.js";
import { commandIdSchema, listCommandsSchema, sendCommandSchema, type ListCommandsInput, type SendCommandInput } from "./command.schema.js";

export const COMMAND_PAGE = { default: 20, max: 100 };
const CURSOR_KIND = "command";
const cursorShape = { at: z.iso.datetime(), id: z.string() };

const commandCursor = (c: Command) => encodeCursor(CURSOR_KIND, { at: c.createdAt.toISOString(), id: c.id });

export interface SendCommandResult {
  command: Command;
  job: Job;
}

export class CommandService {
  constructor(
    private readonly commands: CommandRepository,
    private readonly jobs: JobRepository,
    private readonly vms: VmRepository,
    private readonly writer: CacheWriter,
    private readonly live: LiveEvents,
  ) {}

  /** Null for an unknown command; BAD_USER_INPUT for an id that is not a UUID. */
  async get(actor: Actor | null, id: string): Promise<Command | null> {
    authorize(actor, OPERATIONS.command);
    return this.commands.get(parseInput(commandIdSchema, id, "id"));
  }

  /**
   * Vm.commands for a page of VMs: newest first, those sent since each VM was
   * created (as Vm.jobs). DynamoDB has no batched query, so the VMs' queries
   * run together and answer together: the joins under them (Command.vm,
   * Command.issuedBy) then batch across the whole page.
   */
  async listForVms(actor: Actor | null, vms: readonly Vm[], args: { first?: number | null; after?: string | null }): Promise<Page<Command>[]> {
    authorize(actor, OPERATIONS["Vm.commands"]);
    const size = pageSize(args.first, COMMAND_PAGE.default, COMMAND_PAGE.max);
    const after = args.after ? decodeCursor(CURSOR_KIND, args.after, cursorShape) : undefined;
    return Promise.all(
      vms.map(async (vm) => {
        const items = await this.commands.listByVm({ vmId: vm.id, from: vm.createdAt, before: after, limit: size + 1 });
        return toPage(items, size, commandCursor);
      }),
    );
  }

  /** Vm.commands of one VM, by id (REST's /vms/{vmId}/commands); NOT_FOUND for an unknown VM. */
  async listForVm(actor: Actor | null, vmId: string, args: { first?: number | null; after?: string | null }): Promise<Page<Command>> {
    authorize(actor, OPERATIONS["Vm.commands"]);
    const vm = await requireVm(this.vms, parseInput(vmIdSchema, vmId, "vmId"));
    const [page] = await this.listForVms(actor, [vm], args);
    return page!;
  }

  /**
   * Every command sent to `vmId`, newest first, whether or not that VM still
   * exists (as jobs(filter: { vmId }) does for jobs). A vmId is required: no
   * index orders commands across VMs.
   */
  async list(actor: Actor | null, args: ListCommandsInput & { first?: number | null; after?: string | null }): Promise<Page<Command>> {
    authorize(actor, OPERATIONS.listCommands);
    const { vmId } = parseInput(listCommandsSchema, { vmId: args.vmId }, "");
    const size = pageSize(args.first, COMMAND_PAGE.default, COMMAND_PAGE.max);
    const after = args.after ? decodeCursor(CURSOR_KIND, args.after, cursorShape) : undefined;
    const items = await this.commands.listByVm({ vmId, before: after, limit: size + 1 });
    return toPage(items, size, commandCursor);
  }

  /** Stores the command and its RUNNING job in one DynamoDB transaction; NOT_FOUND (nothing stored) for an unknown VM. */
  async send(actor: Actor | null, input: SendCommandInput): Promise<SendCommandResult> {
    authorize(actor, OPERATIONS.sendCommand);
    const valid = parseInput(sendCommandSchema, input);
    const now = new Date();
    const command: Command = { id: randomUUID(), vmId: valid.vmId, command: valid.command, issuedBy: actor.id, createdAt: now };
    const job: Job = {
      id: randomUUID(),
      vmId: valid.vmId,
      commandId: command.id,
      command: valid.command,
      status: "running",
      startedAt: now,
      finishedAt: null,
    };
    if (!(await this.jobs.createWithCommand(command, job))) throw notFound("vm", valid.vmId);
    this.writer.enqueueJobs([job]);
    this.live.jobChanged(job);
    return { command, job };
  }
}
