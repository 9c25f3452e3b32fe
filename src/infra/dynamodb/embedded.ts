// The embedded default: Amazon's DynamoDB Local (the jar shipped inside the npm
// package amplify-dynamodb-simulator), run with the machine's Java.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { findFreePort } from "../net.js";
import { createDynamo } from "./client.js";

export interface EmbeddedDynamoHandle {
  endpoint: string;
  stop(): Promise<void>;
}

export interface EmbeddedDynamoOptions {
  /** Where tables are kept across restarts; unset: in memory. */
  dataDir?: string;
  port?: number;
}

function emulatorDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("amplify-dynamodb-simulator/package.json")), "emulator");
}

export async function startEmbeddedDynamo(options: EmbeddedDynamoOptions = {}): Promise<EmbeddedDynamoHandle> {
  const dir = emulatorDir();
  const port = options.port ?? (await findFreePort());
  const storage = options.dataDir
    ? ["-dbPath", (mkdirSync(path.resolve(options.dataDir), { recursive: true }), path.resolve(options.dataDir))]
    : ["-inMemory"];
  const java = [
    `-Djava.library.path=${path.join(dir, "DynamoDBLocal_lib")}`,
    "-Xmx512m",
    "-jar",
    path.join(dir, "DynamoDBLocal.jar"),
    ...storage,
    "-sharedDb",
    "-port",
    String(port),
  ];
  // The shell keeps Java tied to us: when our end of its stdin closes (we stop,
  // crash or are killed with SIGKILL), `read` returns and Java is killed, so no
  // emulator outlives the process that started it. A signal to the shell itself
  // (dash skips EXIT traps when a signal kills it) exits through the same trap.
  const quoted = java.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
  const child = spawn("sh", ["-c", `java ${quoted} >/dev/null 2>&1 & pid=$!; trap 'kill $pid 2>/dev/null' EXIT; trap 'exit 0' INT TERM HUP; read _ignored; exit 0`], {
    stdio: ["pipe", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilServing(endpoint, exited);
  return {
    endpoint,
    stop: async () => {
      child.stdin?.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    },
  };
}

async function waitUntilServing(endpoint: string, exited: Promise<void>): Promise<void> {
  const { raw } = createDynamo({ endpoint });
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (gone) throw new Error("DynamoDB Local exited during start-up (is Java installed?)");
      try {
        await raw.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer at ${endpoint}`, { cause: error });
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    raw.destroy();
  }
}
