// npm run dynamo:tables: creates the missing DynamoDB tables and waits until they are ACTIVE.
import { ConfigError, loadConfig } from "../config/env.js";
import { createDynamo } from "../infra/dynamodb/client.js";
import { ensureTables } from "../infra/dynamodb/tables.js";

try {
  const config = loadConfig();
  if (!config.dynamoEndpoint && !config.awsRegion) {
    throw new ConfigError(["DYNAMODB_ENDPOINT or AWS_REGION: one is required (the server creates its embedded tables itself)"]);
  }
  const { raw } = createDynamo({ endpoint: config.dynamoEndpoint, region: config.awsRegion });
  const created = await ensureTables(raw, config.tablePrefix);
  console.log(created.length ? `created: ${created.join(", ")}` : "all tables exist");
  raw.destroy();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
