// Embedded stores that die under a running development server (as an
// out-of-memory kill would take them): each is restarted on its data
// directory and the server recovers, logging it; one that cannot come back
// ends the server with one line and a non-zero exit.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startDevServer, type DevServer } from "./support/dev-server";
import { waitFor } from "./support/wait";

const POLL = { timeout: 90_000, interval: 250 };
vi.setConfig({ testTimeout: 180_000 });

async function readiness(base: string): Promise<unknown> {
  try {
    return await (await fetch(`${base}/readyz`)).json();
  } catch (error) {
    return String(error);
  }
}

/** The pid of the DynamoDB Local Java process under this data directory. */
function javaPid(dataDir: string): number {
  const ps = execFileSync("ps", ["-eo", "pid=,args="]).toString();
  const line = ps.split("\n").find((l) => l.includes("DynamoDBLocal.jar") && l.includes(path.join(dataDir, "dynamodb")) && !l.includes("sh -c"));
  if (!line) throw new Error(`no DynamoDB Local under ${dataDir}`);
  return Number(line.trim().split(/\s+/)[0]);
}

const postmasterPid = (dataDir: string) => Number(readFileSync(path.join(dataDir, "postgres", "postmaster.pid"), "utf8").split("\n")[0]);
const READY = { status: "ready", stores: { postgres: "up", dynamodb: "up" } };

describe("an embedded store killed under a running server", () => {
  let dev: DevServer;
  beforeAll(async () => {
    dev = await startDevServer();
    await waitFor(() => readiness(dev.url()!), (r) => JSON.stringify(r) === JSON.stringify(READY), "/readyz");
  }, 180_000);
  afterAll(async () => {
    dev?.child.kill("SIGTERM");
    await dev?.exited;
    if (dev) await rm(path.dirname(dev.dataDir), { recursive: true, force: true });
  });

  it("DynamoDB Local is restarted on its data directory, logged, and the server recovers", async () => {
    const before = javaPid(dev.dataDir);
    process.kill(before, "SIGKILL");
    await expect.poll(() => dev.logs().some((l) => l.msg === "embedded DynamoDB Local restarted on its data directory"), POLL).toBe(true);
    expect(dev.logs().find((l) => String(l.msg).startsWith("embedded DynamoDB Local exited"))).toMatchObject({ store: "DynamoDB Local", exited: "killed (SIGKILL)" });
    await expect.poll(() => readiness(dev.url()!), POLL).toEqual(READY);
    expect(javaPid(dev.dataDir)).not.toBe(before);
    // No defunct Java left behind.
    expect(execFileSync("ps", ["-eo", "stat=,pid="]).toString()).not.toMatch(new RegExp(`^Z\\S*\\s+${before}$`, "m"));
  });

  it("PostgreSQL is restarted on its data directory, logged, and the server recovers", async () => {
    const before = postmasterPid(dev.dataDir);
    process.kill(before, "SIGKILL");
    await expect.poll(() => dev.logs().some((l) => l.msg === "embedded PostgreSQL restarted on its data directory"), POLL).toBe(true);
    await expect.poll(() => readiness(dev.url()!), POLL).toEqual(READY);
    expect(postmasterPid(dev.dataDir)).not.toBe(before);
  });
});

describe("an embedded store that cannot come back", () => {
  let squatter: Server | undefined;
  afterAll(() => squatter?.close());

  it("ends the server: one line, exit code non-zero", async () => {
    const dev = await startDevServer();
    try {
      await expect.poll(() => readiness(dev.url()!), POLL).toEqual(READY);
      const port = Number(/-port (\d+)/.exec(execFileSync("ps", ["-o", "args=", "-p", String(javaPid(dev.dataDir))]).toString())![1]);
      process.kill(javaPid(dev.dataDir), "SIGKILL");
      // Its port taken as soon as it is free: every restart fails.
      squatter = await new Promise<Server>((resolve, reject) => {
        const tryListen = (left: number) => {
          const server = createServer().once("error", (error) => (left > 0 ? setTimeout(() => tryListen(left - 1), 10) : reject(error)));
          server.listen(port, "127.0.0.1", () => resolve(server));
        };
        tryListen(200);
      });
      const code = await dev.exited;
      expect(code).not.toBe(0);
      const lines = dev.stderr().trim().split("\n").filter((l) => l.startsWith("cannot go on"));
      expect(lines).toEqual([expect.stringMatching(/^cannot go on: embedded DynamoDB Local exited \(killed \(SIGKILL\)\) and did not come back after 5 restarts: /)]);
    } finally {
      dev.child.kill("SIGKILL");
      await rm(path.dirname(dev.dataDir), { recursive: true, force: true });
    }
  });
});
