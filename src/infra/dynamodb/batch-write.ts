import { BatchWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { backoff } from "./batch-get.js";

const MAX_ITEMS_PER_CALL = 25;
const MAX_ROUNDS = 10;

/**
 * Puts items with BatchWriteItem, 25 a call, retrying what DynamoDB leaves in
 * UnprocessedItems (with backoff). Chunks go in order; `onWritten` hears about
 * each chunk once DynamoDB holds all of it, so a caller that fails half way
 * knows what was stored.
 */
export async function batchPutAll(
  doc: DynamoDBDocumentClient,
  table: string,
  items: Record<string, unknown>[],
  onWritten: (count: number) => void = () => {},
): Promise<void> {
  for (let i = 0; i < items.length; i += MAX_ITEMS_PER_CALL) {
    const chunk = items.slice(i, i + MAX_ITEMS_PER_CALL);
    let pending: Array<{ PutRequest?: { Item?: Record<string, unknown> } }> | undefined = chunk.map((Item) => ({
      PutRequest: { Item },
    }));
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round >= MAX_ROUNDS) throw new Error(`BatchWriteItem on ${table}: ${pending.length} items still unprocessed`);
      if (round > 0) await backoff(round);
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending as never } }));
      pending = out.UnprocessedItems?.[table] as typeof pending;
    }
    onWritten(chunk.length);
  }
}
