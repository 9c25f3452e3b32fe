// The API as its own OS process (src/main.ts through tsx), for what only a
// real process shows: exit codes, signals, a SIGKILL mid-request.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/** The store variables CI sets for the suite: a spawned server gets only those `env` names. */
const STORE_VARIABLES = ["DATABASE_URL", "DYNAMODB_ENDPOINT", "AWS_REGION"];

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
}

/**
 * Starts `node --import tsx src/main.ts` as development (not "test": Apollo behaves differently under test), with `env` on top.
 * `processGroup`: the server leads a process group of its own, as a command run in a terminal does (what Ctrl-C signals).
 */
export function spawnServer(env: Record<string, string>, options: { processGroup?: boolean } = {}): ServerProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !STORE_VARIABLES.includes(k)));
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: { ...inherited, NODE_ENV: "development", LOG_LEVEL: "warn", ...env },
    stdio: ["pipe", "pipe", "pipe"],
    detached: options.processGroup ?? false,
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Polls /readyz until it answers ready (its body), or the process exits or `attempts` half-seconds pass (undefined). */
export async function waitUntilReady(server: ServerProcess, port: number, attempts = 120): Promise<unknown> {
  for (let i = 0; i < attempts && server.child.exitCode === null; i++) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then((r) => (r.ok ? r.json() : undefined))
      .catch(() => undefined);
    if (ready) return ready;
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}
