// One DynamoDB Local per test file: started the first time the file asks for
// it, stopped after the file's last hook (tests/support/file-setup.ts).
//
// Why not one for the whole run: a single emulator shared by the 48 files
// slowed down as the run went on (2026-12-04, a 2-core machine): trivial
// GetItems took 2–6.7 s late in the run, Java sat at 100% CPU for minutes in
// SQLiteDBAccessJob.getStreamDescription (called on every write to a table
// with a stream), and tests that had passed alone in seconds hit the server's
// 30 s request timeout. A fresh emulator per file costs ~3 s of start-up and
// keeps each file's timing its own.
import { startEmbeddedDynamo, type EmbeddedDynamoHandle } from "../../src/infra/dynamodb/embedded";

let started: Promise<EmbeddedDynamoHandle> | undefined;

/** This file's DynamoDB Local endpoint (started on first call). */
export async function fileDynamoEndpoint(): Promise<string> {
  started ??= startEmbeddedDynamo();
  return (await started).endpoint;
}

/** Stops this file's emulator, if it started one (tests/support/file-setup.ts, after the file's own hooks). */
export async function stopFileDynamo(): Promise<void> {
  const handle = await started?.catch(() => undefined);
  started = undefined;
  await handle?.stop();
}
