// The process as an operator runs it: bad configuration refuses to start; no
// configuration starts embedded stores and leaves nothing behind on SIGTERM.
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findFreePort } from "../src/infra/net";

const ROOT = path.resolve(import.meta.dirname, "..");

function runMain(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !["DATABASE_URL", "DYNAMODB_ENDPOINT", "AWS_REGION"].includes(k)),
  );
  return spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    // Not "test" (vitest sets it): Apollo, for one, behaves differently under test.
    env: { ...clean, NODE_ENV: "development", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

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
    const child = runMain({ PORT: "abc", DATABASE_URL: "mysql://nope", CACHE_TTL_DAYS: "-1", HOST: "127.0.0.1" });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).not.toBe(0);
    expect(stderr).toContain("PORT");
    expect(stderr).toContain("DATABASE_URL");
    expect(stderr).toContain("CACHE_TTL_DAYS");
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});

describe("embedded stores", () => {
  it("serves with no configuration, keeps data under DATA_DIR, and leaves no process on SIGTERM", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "vmo-embedded-"));
    const port = await findFreePort();
    const child = runMain({ DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1" });
    let output = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    try {
      let ready: unknown;
      for (let i = 0; i < 120 && !ready && child.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 500));
        ready = await fetch(`http://127.0.0.1:${port}/readyz`)
          .then((r) => (r.ok ? r.json() : undefined))
          .catch(() => undefined);
      }
      expect(ready, output).toEqual({ status: "ready", stores: { postgres: "up", dynamodb: "up" } });
      expect(processesMentioning(dataDir).length).toBeGreaterThan(0);
    } finally {
      child.kill("SIGTERM");
      const code = await exited;
      expect(code).toBe(0);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(processesMentioning(dataDir)).toEqual([]);
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
