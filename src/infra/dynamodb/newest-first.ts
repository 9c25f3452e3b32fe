// Newest-first listing over a GSI whose sort key is an ISO timestamp, in the
// order both stores agree on: (time DESC, id DESC). DynamoDB orders only by the
// sort key, so items sharing a timestamp are completed and re-sorted here; that
// is what lets a cursor of (time, id) continue in either store.
import { QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface TimeKey {
  /** ISO timestamp (the GSI's sort key). */
  at: string;
  id: string;
}

/** The exclusive upper bound "before t": (t, "") sorts before every (t, id). */
export const keyBefore = (t: Date): TimeKey => ({ at: t.toISOString(), id: "" });

/** The lower of two optional upper bounds (unset: no bound). */
export const earlierKey = (a: TimeKey | undefined, b: TimeKey | undefined): TimeKey | undefined =>
  !a ? b : !b ? a : a.at < b.at || (a.at === b.at && a.id < b.id) ? a : b;

export interface NewestFirstQuery {
  table: string;
  index: string;
  partition: { name: string; value: string };
  sortKey: string;
  idKey: string;
  /** Only items strictly before this key: (at, id) < (before.at, before.id). */
  before?: TimeKey;
  /** Only items with sortKey >= notBefore. */
  notBefore?: string;
  /** Extra filter, e.g. "#status = :status"; names and values go with it. */
  filter?: { expression: string; names: Record<string, string>; values: Record<string, unknown> };
  limit: number;
}

const compareDesc = (a: TimeKey, b: TimeKey) => (a.at === b.at ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.at < b.at ? 1 : -1);
const isBefore = (key: TimeKey, bound: TimeKey) => key.at < bound.at || (key.at === bound.at && key.id < bound.id);

export async function queryNewestFirst<T extends Record<string, unknown>>(
  doc: DynamoDBDocumentClient,
  q: NewestFirstQuery,
): Promise<T[]> {
  const names: Record<string, string> = { "#pk": q.partition.name, ...(q.filter?.names ?? {}) };
  if (q.before || q.notBefore !== undefined) names["#sk"] = q.sortKey;
  const values: Record<string, unknown> = { ":pk": q.partition.value, ...(q.filter?.values ?? {}) };
  const conditions = ["#pk = :pk"];
  if (q.before && q.notBefore !== undefined) {
    conditions.push("#sk BETWEEN :lo AND :hi");
    values[":lo"] = q.notBefore;
    values[":hi"] = q.before.at;
  } else if (q.before) {
    conditions.push("#sk <= :hi");
    values[":hi"] = q.before.at;
  } else if (q.notBefore !== undefined) {
    conditions.push("#sk >= :lo");
    values[":lo"] = q.notBefore;
  }
  if (q.before && q.notBefore !== undefined && q.notBefore > q.before.at) return [];

  const keyOf = (item: Record<string, unknown>): TimeKey => ({ at: String(item[q.sortKey]), id: String(item[q.idKey]) });
  const found: T[] = [];
  let lastSeenAt: string | undefined;
  let startKey: Record<string, unknown> | undefined;
  for (;;) {
    const out = await doc.send(
      new QueryCommand({
        TableName: q.table,
        IndexName: q.index,
        KeyConditionExpression: conditions.join(" AND "),
        FilterExpression: q.filter?.expression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: Math.max(q.limit - found.length + 1, 25),
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of (out.Items ?? []) as T[]) {
      const key = keyOf(item);
      if (!q.before || isBefore(key, q.before)) found.push(item);
    }
    startKey = out.LastEvaluatedKey;
    if (!startKey) break;
    // Keep reading while the next items may still share the timestamp of the
    // last one we would return (their id order is not DynamoDB's order).
    lastSeenAt = String(startKey[q.sortKey]);
    if (found.length >= q.limit) {
      const sorted = found.map(keyOf).sort(compareDesc);
      if (lastSeenAt < sorted[q.limit - 1]!.at) break;
    }
  }
  return found.sort((a, b) => compareDesc(keyOf(a), keyOf(b))).slice(0, q.limit);
}
