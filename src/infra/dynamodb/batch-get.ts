import { BatchGetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

const MAX_KEYS_PER_CALL = 100;
const MAX_ROUNDS = 8;

/**
 * Reads items by key with BatchGetItem, 100 keys a call, retrying the keys
 * DynamoDB leaves unprocessed (with backoff). Order of the result is not the
 * order of the keys; callers index it.
 */
export async function batchGetAll<T>(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: Record<string, unknown>[],
  options: { consistentRead?: boolean } = {},
): Promise<T[]> {
  const found: T[] = [];
  for (let i = 0; i < keys.length; i += MAX_KEYS_PER_CALL) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + MAX_KEYS_PER_CALL);
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round >= MAX_ROUNDS) throw new Error(`BatchGetItem on ${table}: ${pending.length} keys still unprocessed`);
      if (round > 0) await backoff(round);
      const out = await doc.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: options.consistentRead } } }),
      );
      found.push(...((out.Responses?.[table] ?? []) as T[]));
      pending = out.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return found;
}

/** Exponential backoff with full jitter: 0..(50ms * 2^round), capped at 2 s. */
export function backoff(round: number): Promise<void> {
  const ceiling = Math.min(2_000, 50 * 2 ** round);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
