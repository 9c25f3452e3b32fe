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
  port: number;
  /** Settles when DynamoDB Local has exited, with how (src/infra/embedded-supervisor.ts restarts it). */
  exited: Promise<string>;
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
  // The shell keeps Java tied to us both ways. When our end of its stdin
  // closes (we stop, crash or are killed with SIGKILL), the reader's `read`
  // returns and Java is killed, so no emulator outlives the process that
  // started it. When Java exits (an out-of-memory kill, a crash), `wait`
  // returns and the shell exits with its status, so we see it go (and no
  // defunct Java stays behind). A signal to the shell itself (dash skips EXIT
  // traps when a signal kills it) exits through the same trap.
  const quoted = java.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
  const script = [
    "exec 3<&0",
    `java ${quoted} </dev/null >/dev/null 3<&- & pid=$!`,
    "(read _ignored <&3; kill $pid 2>/dev/null) & reader=$!",
    "trap 'kill $pid $reader 2>/dev/null' EXIT",
    "trap 'exit 0' INT TERM HUP",
    "wait $pid",
  ].join("\n");
  // Its own process group: a terminal's Ctrl-C (make run) goes to the server,
  // which stops the emulator once in-flight requests are answered.
  const child = spawn("sh", ["-c", script], { stdio: ["pipe", "ignore", "pipe"], detached: true });
  const exited = new Promise<string>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ? `signal ${signal}` : code === 137 ? "killed (SIGKILL)" : `exit code ${code}`)),
  );
  // Java's stderr, kept short: DynamoDB Local that fails to start (its port
  // taken, say) prints an exception from main and then hangs instead of exiting.
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString("utf8")).slice(-4_000)));
  const failure = () => (/Exception in thread "main" (.*)/.exec(stderr)?.[1] ?? undefined);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(endpoint, exited, failure);
  } catch (error) {
    child.stdin?.end(); // the reader kills Java, the shell exits
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    throw error;
  }
  return {
    endpoint,
    port,
    exited,
    stop: async () => {
      child.stdin?.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    },
  };
}

async function waitUntilServing(endpoint: string, exited: Promise<string>, failure: () => string | undefined): Promise<void> {
  const { raw } = createDynamo({ endpoint });
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (gone) throw new Error("DynamoDB Local exited during start-up (is Java installed?)");
      const failed = failure();
      if (failed) throw new Error(`DynamoDB Local failed to start: ${failed.trim()}`);
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
