// VMs live in DynamoDB only (authoritative). Items: { vmId, name, environment, tags, createdAt, updatedAt }.
import { isDeepStrictEqual } from "node:util";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { batchGetAll } from "../infra/dynamodb/batch-get.js";
import type { Vm } from "./vm.model.js";

interface VmItem {
  vmId: string;
  name: string;
  environment: string;
  tags: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

const toVm = (item: VmItem): Vm => ({
  id: item.vmId,
  name: item.name,
  environment: item.environment,
  tags: item.tags ?? {},
  createdAt: new Date(item.createdAt),
  updatedAt: new Date(item.updatedAt),
});

const toItem = (vm: Vm): VmItem => ({
  vmId: vm.id,
  name: vm.name,
  environment: vm.environment,
  tags: vm.tags,
  createdAt: vm.createdAt.toISOString(),
  updatedAt: vm.updatedAt.toISOString(),
});

/** Where a listing resumes: the last VM seen. */
export interface VmListKey {
  id: string;
  createdAt: string;
}

export type CreateVmResult = { outcome: "created"; vm: Vm } | { outcome: "exists" };

export class VmRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(id: string, consistentRead = false): Promise<Vm | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { vmId: id }, ConsistentRead: consistentRead }));
    return out.Item ? toVm(out.Item as VmItem) : null;
  }

  /** BatchGetItem, 100 keys a call; missing ids are simply absent. */
  async getMany(ids: readonly string[]): Promise<Vm[]> {
    const items = await batchGetAll<VmItem>(this.doc, this.table, ids.map((vmId) => ({ vmId })));
    return items.map(toVm);
  }

  /**
   * Conditional put: an existing id is never overwritten ("exists"). An item
   * equal to this one is our own put, landed by an attempt whose answer was
   * lost (a timeout, a dropped connection) before the SDK retried: created.
   */
  async create(vm: Vm): Promise<CreateVmResult> {
    const item = toItem(vm);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: "attribute_not_exists(vmId)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Compared as DynamoDB holds them (attribute values): tags parsed from a
      // GraphQL JSON literal are null-prototype objects, which plain deep
      // equality would tell apart from the same tags read back.
      const ours = error.Item !== undefined && isDeepStrictEqual(error.Item, marshall(item));
      return ours ? { outcome: "created", vm } : { outcome: "exists" };
    }
    return { outcome: "created", vm };
  }

  /**
   * Changes the given fields of an existing VM and sets updatedAt; createdAt
   * stays. Null when the VM does not exist (the condition keeps an update from
   * re-creating a deleted VM).
   */
  async update(id: string, changes: Partial<Pick<Vm, "name" | "environment" | "tags">>, updatedAt: Date): Promise<Vm | null> {
    const sets = ["updatedAt = :updatedAt"];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ":updatedAt": updatedAt.toISOString() };
    for (const [field, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      sets.push(`#${field} = :${field}`);
      names[`#${field}`] = field;
      values[`:${field}`] = value;
    }
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { vmId: id },
          UpdateExpression: `SET ${sets.join(", ")}`,
          ConditionExpression: "attribute_exists(vmId)",
          ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      return toVm(out.Attributes as VmItem);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw error;
    }
  }

  /** Deletes the VM item only: its commands and jobs stay (history). False when it did not exist. */
  async delete(id: string): Promise<boolean> {
    try {
      await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { vmId: id }, ConditionExpression: "attribute_exists(vmId)" }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Up to `limit` VMs after `after`. With an environment: newest first through
   * the byEnvironment GSI. Without: the table's own (stable) key order.
   */
  async list(options: { environment?: string; limit: number; after?: VmListKey }): Promise<Vm[]> {
    const { environment, limit, after } = options;
    const found: VmItem[] = [];
    let startKey: Record<string, unknown> | undefined = after
      ? environment
        ? { vmId: after.id, environment, createdAt: after.createdAt }
        : { vmId: after.id }
      : undefined;
    do {
      const page: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> } = environment
        ? await this.doc.send(
            new QueryCommand({
              TableName: this.table,
              IndexName: "byEnvironment",
              KeyConditionExpression: "environment = :environment",
              ExpressionAttributeValues: { ":environment": environment },
              ScanIndexForward: false,
              Limit: limit - found.length,
              ExclusiveStartKey: startKey,
            }),
          )
        : await this.doc.send(
            new ScanCommand({ TableName: this.table, Limit: limit - found.length, ExclusiveStartKey: startKey }),
          );
      found.push(...((page.Items ?? []) as unknown as VmItem[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey && found.length < limit);
    return found.map(toVm);
  }
}
