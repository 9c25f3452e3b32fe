// npm run db:migrate: applies pending migrations to DATABASE_URL.
import { ConfigError, loadConfig } from "../config/env.js";
import { migrate } from "../infra/postgres/migrate.js";

try {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError(["DATABASE_URL: is required to migrate (the server migrates its embedded PostgreSQL itself)"]);
  const { applied, alreadyApplied } = await migrate(config.databaseUrl);
  console.log(`migrations applied: ${applied.length ? applied.join(", ") : "none"}; already applied: ${alreadyApplied.length}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
