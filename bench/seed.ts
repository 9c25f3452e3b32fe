// Writes the data set straight into the stores (not through the API): DynamoDB
// with BatchWriteItem from several workers at once, the Postgres cache with
// multi-row INSERT ... SELECT FROM unnest(...) in large chunks.
import { BatchWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type pg from "pg";
import { backoff } from "../src/infra/dynamodb/batch-get";
import type { TableNames } from "../src/infra/dynamodb/tables";
import type { Dataset, JobRow } from "./dataset";

const BATCH_WRITE_MAX = 25;
const MAX_ROUNDS = 10;

async function batchWrite(doc: DynamoDBDocumentClient, table: string, items: Record<string, unknown>[]): Promise<void> {
  let pending = items.map((Item) => ({ PutRequest: { Item } }));
  for (let round = 0; pending.length > 0; round++) {
    if (round >= MAX_ROUNDS) throw new Error(`BatchWriteItem on ${table}: ${pending.length} items still unprocessed`);
    if (round > 0) await backoff(round);
    const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
    pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
  }
}

/** Runs `work` over every item with `workers` in flight at once. */
async function pool<T>(items: Iterable<T>, workers: number, work: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const next = (): IteratorResult<T> => iterator.next();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let step = next(); !step.done; step = next()) await work(step.value);
    }),
  );
}

function* chunks<T>(rows: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const row of rows) {
    chunk.push(row);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

function* dynamoItems(dataset: Dataset, tables: TableNames): Generator<{ table: string; item: Record<string, unknown> }> {
  for (const vm of dataset.vms) yield { table: tables.vms, item: { ...vm } };
  for (const command of dataset.commands) yield { table: tables.commands, item: { ...command } };
  for (const job of dataset.jobs) {
    const { linesInDynamo: _skip, ...item } = job;
    yield { table: tables.jobs, item };
  }
  for (const job of dataset.jobs) {
    if (!job.linesInDynamo) continue;
    for (const line of dataset.linesOf(job)) yield { table: tables.logs, item: { ...line } };
  }
}

export interface SeedCounts {
  items: number;
  seconds: number;
}

export async function seedDynamo(doc: DynamoDBDocumentClient, tables: TableNames, dataset: Dataset, workers = 8): Promise<SeedCounts> {
  const started = performance.now();
  let items = 0;
  // Batches never mix tables, so a batch's unprocessed items go back to one table.
  function* batches() {
    let table = "";
    let batch: Record<string, unknown>[] = [];
    for (const entry of dynamoItems(dataset, tables)) {
      if (entry.table !== table || batch.length === BATCH_WRITE_MAX) {
        if (batch.length) yield { table, batch };
        table = entry.table;
        batch = [];
      }
      batch.push(entry.item);
    }
    if (batch.length) yield { table, batch };
  }
  await pool(batches(), workers, async ({ table, batch }) => {
    await batchWrite(doc, table, batch);
    items += batch.length;
  });
  return { items, seconds: (performance.now() - started) / 1000 };
}

async function hasColumn(client: pg.Pool, table: string, column: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`,
    [table, column],
  );
  return (rowCount ?? 0) > 0;
}

const JOB_CHUNK = 2_000;
const LINE_CHUNK = 20_000;

export async function seedPostgres(db: pg.Pool, dataset: Dataset, workers = 2): Promise<SeedCounts> {
  const started = performance.now();
  await db.query("TRUNCATE jobs CASCADE");
  // jobs.command_id arrives with the domain work; fill it when the column is there.
  const withCommandId = await hasColumn(db, "jobs", "command_id");
  for (const chunk of chunks(dataset.jobs, JOB_CHUNK)) {
    const columns = ["id", "vm_id", "command", "status", "started_at", "finished_at", ...(withCommandId ? ["command_id"] : [])];
    const arrays: unknown[][] = [
      chunk.map((j) => j.jobId),
      chunk.map((j) => j.vmId),
      chunk.map((j) => j.command),
      chunk.map((j) => j.status),
      chunk.map((j) => j.startedAt),
      chunk.map((j) => j.finishedAt ?? null),
      ...(withCommandId ? [chunk.map((j) => j.commandId)] : []),
    ];
    const types = ["uuid[]", "text[]", "text[]", "text[]", "timestamptz[]", "timestamptz[]", "uuid[]"];
    await db.query(
      `INSERT INTO jobs (${columns.join(", ")}) SELECT * FROM unnest(${columns.map((_, i) => `$${i + 1}::${types[i]}`).join(", ")})`,
      arrays,
    );
  }
  let lines = 0;
  function* allLines() {
    for (const job of dataset.jobs as JobRow[]) yield* dataset.linesOf(job);
  }
  await pool(chunks(allLines(), LINE_CHUNK), workers, async (chunk) => {
    await db.query(
      `INSERT INTO job_logs (job_id, ts, stream, data)
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[])`,
      [chunk.map((l) => l.jobId), chunk.map((l) => l.ts), chunk.map((l) => l.stream), chunk.map((l) => l.data)],
    );
    lines += chunk.length;
  });
  await db.query("ANALYZE jobs; ANALYZE job_logs");
  return { items: dataset.jobs.length + lines, seconds: (performance.now() - started) / 1000 };
}
