// The process as an operator runs it: bad configuration refuses to start; no
// configuration starts embedded stores and leaves nothing behind on SIGTERM.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findFreePort } from "../src/infra/net";
import { spawnServer, waitUntilReady, type ServerProcess } from "./support/server-process";

function processesMentioning(text: string): string[] {
  try {
    return execFileSync("pgrep", ["-af", text], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line && !line.includes("pgrep"));
  } catch {
    return [];
  }
}

describe("configuration", () => {
  it("prints every problem and exits non-zero before listening", async () => {
    const port = await findFreePort();
    const server = spawnServer({ PORT: "abc", DATABASE_URL: "mysql://nope", CACHE_TTL_DAYS: "-1", HOST: "127.0.0.1" });
    expect(await server.exited).not.toBe(0);
    const stderr = server.output();
    expect(stderr).toContain("PORT");
    expect(stderr).toContain("DATABASE_URL");
    expect(stderr).toContain("CACHE_TTL_DAYS");
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});

describe("embedded stores", () => {
  /** Starts the server on embedded stores under a new DATA_DIR, stops it with `stop` once ready; what it printed and its exit code. */
  async function serveThenStop(stop: (server: ServerProcess) => void, options: { processGroup?: boolean } = {}) {
    const dataDir = await mkdtemp(path.join(tmpdir(), "vmo-embedded-"));
    const port = await findFreePort();
    const server = spawnServer({ DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1" }, options);
    try {
      const ready = await waitUntilReady(server, port);
      expect(ready, server.output()).toEqual({ status: "ready", stores: { postgres: "up", dynamodb: "up" } });
      expect(processesMentioning(dataDir).length).toBeGreaterThan(0);
    } finally {
      stop(server);
      const code = await server.exited;
      expect(code, server.output()).toBe(0);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(processesMentioning(dataDir)).toEqual([]);
      await rm(dataDir, { recursive: true, force: true });
    }
    return server.output();
  }

  it("serves with no configuration, keeps data under DATA_DIR, and leaves no process on SIGTERM", async () => {
    await serveThenStop((server) => server.child.kill("SIGTERM"));
  }, 90_000);

  it("stops on Ctrl-C in a terminal (SIGINT to its process group) without reporting its stores as crashed", async () => {
    // The terminal signals every process of the group: the server, and the embedded PostgreSQL it started.
    const output = await serveThenStop((server) => process.kill(-server.child.pid!, "SIGINT"), { processGroup: true });
    expect(output).not.toMatch(/exited .*restarting|did not start again|cannot go on/);
  }, 90_000);
});
