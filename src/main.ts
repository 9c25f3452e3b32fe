// Entry point: validate the configuration, open (or start) the stores, serve.
import { describePurge, purgeCache } from "./cache/cache-purge.js";
import { schedulePurge } from "./cache/purge-schedule.js";
import { ConfigError, loadConfig, type Config } from "./config/env.js";
import { describeDemoAccounts, seedDemo, storesAreEmpty } from "./demo/demo-seed.js";
import { createLogger, wantsPrettyLogs } from "./infra/logger.js";
import { startServer } from "./server.js";
import { openStores, type OpenStores } from "./stores.js";

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config.logLevel, { pretty: wantsPrettyLogs(config.isProduction) });
// An embedded store that died and could not be restarted ends the process
// with one line, instead of serving SERVICE_UNAVAILABLE for good.
let storesToClose: OpenStores | undefined;
const storeLost = (message: string) => {
  console.error(`cannot go on: ${message}`);
  setTimeout(() => process.exit(1), 5_000).unref();
  if (!storesToClose) process.exit(1);
  void storesToClose
    .close()
    .catch(() => undefined)
    .finally(() => process.exit(1));
};
// A store that cannot be opened (unreachable, not installed) ends the process
// with one clear line rather than a stack trace.
const opened = await openStores(config, logger, { onStoreLost: storeLost }).catch((error: unknown) => {
  console.error(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
storesToClose = opened;
// ADMIN_EMAIL / ADMIN_PASSWORD: the first admin (idempotent), ensured before
// listening so it can sign in from the first request. Without it the operator
// may have no way in, so a failure stops the process.
const ensureAdmin = config.admin;
const server = await startServer(config, logger, opened.stores, {
  beforeListen: ensureAdmin
    ? (container) =>
        container.services.users.ensureAdmin(ensureAdmin).catch((error) => {
          logger.fatal({ err: error }, "could not ensure the ADMIN_EMAIL admin");
          throw error;
        })
    : undefined,
}).catch(async (error) => {
  await opened.close();
  throw error;
});
// make demo: a new deployment gets the demo data set, and its accounts are printed as npm run seed prints them.
if (config.demo) {
  try {
    if (await storesAreEmpty(server.container)) {
      const seeded = await seedDemo(server.container, server.url);
      console.log(`demo data seeded: ${seeded.vmsCreated} VMs; ${seeded.commandsNote}`);
    } else {
      console.log("demo: the stores are not empty, nothing seeded (npm run seed, with the server stopped, resets the demo accounts)");
    }
    console.log(describeDemoAccounts());
  } catch (error) {
    logger.error({ err: error }, "demo seed failed; serving without it");
  }
}
logger.info({ url: `${server.url}/graphql`, env: config.nodeEnv }, "serving GraphQL (playground at the same URL in a browser)");

const purgeTimer = config.purgeSchedule
  ? schedulePurge(
      config.purgeSchedule,
      async () => {
        const result = await purgeCache(opened.databaseUrl, { ttlDays: config.cacheTtlDays, metrics: server.container.metrics.cache });
        logger.info({ purge: result }, describePurge(result));
      },
      logger,
    )
  : undefined;

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  // Ctrl-C in a terminal (make run) reaches the embedded PostgreSQL too, which exits at once: that is the shutdown, not a crash.
  opened.beginShutdown();
  logger.info({ signal }, "shutting down");
  const force = setTimeout(() => {
    logger.error("shutdown took too long; exiting");
    process.exit(1);
  }, 15_000);
  force.unref();
  await server.stop();
  await purgeTimer?.stop();
  await opened.close();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
