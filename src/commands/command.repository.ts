// Commands live in DynamoDB only (authoritative).
// Items: { commandId, vmId, command, issuedBy?, createdAt }. issuedBy is absent
// (not null) once the user is erased, so the sparse byIssuedBy index forgets it.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { batchGetAll } from "../infra/dynamodb/batch-get.js";
import { queryNewestFirst, type TimeKey } from "../infra/dynamodb/newest-first.js";
import type { Command } from "./command.model.js";

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

  // GDPR: a user's commands through the sparse byIssuedBy GSI.

  /** Every command `userId` issued, newest first (all pages of the byIssuedBy GSI). */
  async listByIssuer(userId: string): Promise<Command[]> {
    const found: CommandItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: "byIssuedBy",
          KeyConditionExpression: "issuedBy = :user",
          ExpressionAttributeValues: { ":user": userId },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }),
      );
      found.push(...((page.Items ?? []) as CommandItem[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return found.map(toCommand);
  }

  /**
   * Erasure: REMOVEs issuedBy from every command `userId` issued, so the sparse
   * GSI forgets them and Command.issuedBy reads null. Idempotent; the condition
   * keeps a command that was already unlinked (or is somebody else's) as it is.
   * Returns how many commands it unlinked.
   */
  async unlinkIssuer(userId: string): Promise<number> {
    const commands = await this.listByIssuer(userId);
    let unlinked = 0;
    const PARALLEL = 10;
    for (let i = 0; i < commands.length; i += PARALLEL) {
      const results = await Promise.all(
        commands.slice(i, i + PARALLEL).map(async (command) => {
          try {
            await this.doc.send(
              new UpdateCommand({
                TableName: this.table,
                Key: { commandId: command.id },
                UpdateExpression: "REMOVE issuedBy",
                ConditionExpression: "issuedBy = :user",
                ExpressionAttributeValues: { ":user": userId },
              }),
            );
            return 1;
          } catch (error) {
            if (error instanceof ConditionalCheckFailedException) return 0;
            throw error;
          }
        }),
      );
      unlinked += results.reduce<number>((sum, n) => sum + n, 0);
    }
    return unlinked;
  }
}
