import { PrismaPg } from "@prisma/adapter-pg";
import { Prisma, PrismaClient } from "../../generated/prisma/client.js";

export type { PrismaClient };

export interface PrismaOptions {
  /**
   * Statements marked with prepared() are prepared once per connection
   * (DATABASE_PREPARED_STATEMENTS; off for a pooler that cannot keep them,
   * e.g. PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
}

export function createPrisma(databaseUrl: string, options: PrismaOptions = {}): PrismaClient {
  const adapter = new PrismaPg(
    {
      connectionString: databaseUrl,
      // A Postgres outage must fail fast: reads fall back to DynamoDB instead of hanging.
      connectionTimeoutMillis: 2_000,
      max: 10,
    },
    // The adapter types the name as a string; it hands it to node-postgres as the query's `name`, where undefined means unnamed.
    options.preparedStatements === false ? {} : { statementNameGenerator: preparedStatementNames() as (query: { sql: string }) => string },
  );
  // Query events feed the store-call counter (src/infra/store-calls.ts): tests
  // assert DataLoader batching with it and metrics count statements with it.
  return new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] }) as unknown as PrismaClient;
}

const PREPARED_MARK = "/* prepared */ ";

/**
 * Marks a statement to be prepared once per connection. After five runs
 * PostgreSQL plans it once for all parameter values (its generic plan) when
 * that plan costs no more than planning each time, which saves a quarter of
 * a cache read's time in the database (bench/README, "Prepared cache reads").
 * Only for statements whose best plan does not depend on the values: lookups
 * and pages by key. Not for the log search, whose plan depends on the pattern.
 * The statement's text must take a bounded number of shapes: lists go in as
 * one array parameter, not one parameter per item.
 */
export function prepared(sql: Prisma.Sql): Prisma.Sql {
  return Prisma.sql([PREPARED_MARK, ""], sql);
}

/** At most this many statement texts get a name per client: a backstop should a marked statement's text vary without bound. */
export const MAX_PREPARED_STATEMENTS = 200;

/**
 * The adapter's statementNameGenerator: a name per text of a marked statement
 * (node-postgres prepares a named statement on a connection the first time
 * it runs there), none for the others, none past MAX_PREPARED_STATEMENTS texts.
 */
export function preparedStatementNames(max = MAX_PREPARED_STATEMENTS): (query: { sql: string }) => string | undefined {
  const names = new Map<string, string>();
  return ({ sql }) => {
    if (!sql.startsWith(PREPARED_MARK)) return undefined;
    let name = names.get(sql);
    if (name === undefined && names.size < max) names.set(sql, (name = `vmo_${names.size}`));
    return name;
  };
}
