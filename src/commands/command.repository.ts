// Commands live in DynamoDB only (authoritative).
// Items: { commandId, vmId, command, issuedBy?, createdAt }. issuedBy is absent
// (not null) once the user is erased, so the sparse byIssuedBy index forgets it.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { batchGetAll } from "../infra/dynamodb/batch-get";
import { queryNewestFirst, type TimeKey } from "../infra/dynamodb/newest-first";
import type { Command } from "./command.model";

export interface CommandItem {
  commandId: string;
  vmId: string;
  command: string;
  issuedBy?: string;
  createdAt: string;
}

export const toCommand = (item: CommandItem): Command => ({
  id: item.commandId,
  vmId: item.vmId,
  command: item.command,
  issuedBy: item.issuedBy ?? null,
  createdAt: new Date(item.createdAt),
});

export const toCommandItem = (command: Command): CommandItem => ({
  commandId: command.id,
  vmId: command.vmId,
  command: command.command,
  ...(command.issuedBy ? { issuedBy: command.issuedBy } : {}),
  createdAt: command.createdAt.toISOString(),
});

export class CommandRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(id: string): Promise<Command | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { commandId: id } }));
    return out.Item ? toCommand(out.Item as CommandItem) : null;
  }

  /** BatchGetItem, 100 keys a call; missing ids are simply absent. */
  async getMany(ids: readonly string[]): Promise<Command[]> {
    const items = await batchGetAll<CommandItem>(this.doc, this.table, ids.map((commandId) => ({ commandId })));
    return items.map(toCommand);
  }

  /** A VM's commands, newest first by (createdAt, id), through byVmId. (sendCommand writes commands: JobRepository.createWithCommand.) */
  async listByVm(q: { vmId: string; from?: Date; before?: TimeKey; limit: number }): Promise<Command[]> {
    const items = await queryNewestFirst<Record<string, unknown>>(this.doc, {
      table: this.table,
      index: "byVmId",
      partition: { name: "vmId", value: q.vmId },
      sortKey: "createdAt",
      idKey: "commandId",
      before: q.before,
      notBefore: q.from?.toISOString(),
      limit: q.limit,
    });
    return items.map((item) => toCommand(item as unknown as CommandItem));
  }
}
