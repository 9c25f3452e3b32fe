// `src/main.ts` as a developer runs it (tsx), on embedded stores under a
// fresh DATA_DIR: for tests of what only the whole process does (embedded
// stores, make demo). Its JSON log lines and stdout/stderr are kept.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { waitFor } from "./wait";

const ROOT = path.resolve(import.meta.dirname, "../..");

export interface DevServer {
  child: ChildProcess;
  dataDir: string;
  url: () => string | undefined;
  logs: () => Array<Record<string, unknown>>;
  stderr: () => string;
  /** What it printed that is not a JSON log line (make demo's accounts, say). */
  stdout: () => string;
  exited: Promise<number | null>;
}

/** `dataDir`: reuse one (a restart); unset: a new one under the OS temp folder. */
export async function startDevServer(options: { dataDir?: string; env?: Record<string, string> } = {}): Promise<DevServer> {
  let dataDir = options.dataDir;
  if (!dataDir) {
    const root = await mkdtemp(path.join(tmpdir(), "vmo-dev-"));
    chmodSync(root, 0o755); // as root, the embedded PostgreSQL runs as the user "postgres"
    dataDir = path.join(root, "data");
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !["DATABASE_URL", "DYNAMODB_ENDPOINT", "AWS_REGION"].includes(k)));
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: { ...env, NODE_ENV: "development", PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, CACHE_STREAM: "off", LOG_LEVEL: "info", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Array<Record<string, unknown>> = [];
  let out = "";
  let plain = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => {
    out += chunk;
    const lines = out.split("\n");
    out = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith("{")) logs.push(JSON.parse(line));
      else plain += `${line}\n`;
    }
  });
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = () => {
    const serving = logs.find((l) => typeof l.url === "string" && String(l.msg).startsWith("serving GraphQL"));
    return serving ? String(serving.url).replace(/\/graphql$/, "") : undefined;
  };
  await waitFor(url, (u) => u !== undefined, "the dev server to serve").catch((error) => {
    child.kill("SIGKILL");
    throw new Error(`${error.message}\n${stderr}`);
  });
  return { child, dataDir: dataDir!, url, logs: () => logs, stderr: () => stderr, stdout: () => plain, exited };
}

