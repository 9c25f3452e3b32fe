// Runs `prisma generate` offline. Prisma 7's client needs no native engine, but
// the CLI insists on a schema-engine binary path even for generate; any existing
// file satisfies it, so we point it at this script.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

// A production install (npm ci --omit=dev --legacy-peer-deps) has no Prisma CLI: it runs dist/,
// which carries the client compiled at build time.
try {
  createRequire(import.meta.url).resolve("prisma/package.json");
} catch {
  console.log("prisma generate: skipped, no Prisma CLI in this install (production: the client is in dist/)");
  process.exit(0);
}

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
env.PRISMA_HIDE_UPDATE_MESSAGE = "1";
env.CHECKPOINT_DISABLE = "1";
const result = spawnSync("npx", ["--no-install", "prisma", "generate"], { stdio: "inherit", env });
process.exit(result.status ?? 1);
