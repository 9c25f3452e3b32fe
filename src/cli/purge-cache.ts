// npm run purge-cache / make purge-cache: deletes cache rows older than
// CACHE_TTL_DAYS from DATABASE_URL (src/cache/cache-purge.ts), prints what it
// removed, exits non-zero on failure. A run that finds another purge holding
// the lock prints so and exits 0.
import { describePurge, purgeCache } from "../cache/cache-purge.js";
import { ConfigError, loadConfig } from "../config/env.js";

try {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError(["DATABASE_URL: is required to purge the cache"]);
  const result = await purgeCache(config.databaseUrl, { ttlDays: config.cacheTtlDays });
  console.log(describePurge(result));
} catch (error) {
  console.error(`cache purge failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
