// npm run seed: the demo data set (src/demo/demo-seed.ts) for the playground.
// Opens the stores exactly as the server does (embedded under DATA_DIR unless
// configured, so stop a server that runs on the embedded stores first; `make
// demo` seeds a server of its own instead), serves on 127.0.0.1 for the
// seed's GraphQL calls, seeds, and prints the demo accounts.
import { ConfigError, loadConfig } from "../src/config/env";
import { describeDemoAccounts, seedDemo } from "../src/demo/demo-seed";
import { createLogger } from "../src/infra/logger";
import { startServer } from "../src/server";
import { openStores } from "../src/stores";

async function main() {
  const config = loadConfig();
  if (config.isProduction) throw new ConfigError(["NODE_ENV: the demo seed refuses to run in production"]);
  const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel);
  const opened = await openStores(config, logger);
  const server = await startServer({ ...config, port: 0, host: "127.0.0.1" }, logger, opened.stores);
  try {
    const result = await seedDemo(server.container, server.url);
    console.log(`VMs: ${result.vmsCreated} created, ${result.vmsPresent} already there`);
    console.log(result.commandsNote);
    console.log(`\n${describeDemoAccounts()}`);
  } finally {
    await server.stop();
    await opened.close();
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
