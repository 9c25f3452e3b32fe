import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { Prisma, PrismaClient } from "../../generated/prisma/client.js";

export type { PrismaClient };

export interface PrismaOptions {
  /**
   * Reads run with queryPrepared() are prepared once per connection
   * (DATABASE_PREPARED_STATEMENTS; off for a pooler that cannot keep them,
   * e.g. PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
  /**
   * Where queryPrepared() runs its reads: "driver" (the default), on the pool
   * under Prisma's adapter through node-postgres; "prisma", through Prisma's
   * $queryRaw, which tests/prepared-statements.test.ts holds the driver's
   * answers to.
   */
  preparedReads?: "driver" | "prisma";
}

/** A statement that ran: its SQL text and duration in ms (Prisma's query events, and what queryPrepared() reports alike). */
export interface QueryEvent {
  query: string;
  duration: number;
}

interface PreparedReads {
  pool: pg.Pool;
  /** The statement's name on every connection, or undefined: not prepared. */
  nameOf(text: string): string | undefined;
  listeners: Set<(event: QueryEvent) => void>;
}

/** The driver path of each client createPrisma made with preparedReads "driver". */
const preparedReads = new WeakMap<PrismaClient, PreparedReads>();

export function createPrisma(databaseUrl: string, options: PrismaOptions = {}): PrismaClient {
  // One pool for Prisma's adapter and queryPrepared(): the same connections, limits and timeouts.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    // A Postgres outage must fail fast: reads fall back to DynamoDB instead of hanging.
    connectionTimeoutMillis: 2_000,
    max: 10,
  });
  // An idle connection that breaks (a Postgres restart) leaves the pool; the
  // next statement opens another or fails with an error its caller maps. The
  // adapter listens only once Prisma first connects; without a listener the
  // pool's "error" event would end the process.
  pool.on("error", () => {});
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  // Query events feed the store-call counter (src/infra/store-calls.ts): tests
  // assert DataLoader batching with it and metrics count statements with it.
  const prisma = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] }) as unknown as PrismaClient;
  if (options.preparedReads !== "prisma") {
    preparedReads.set(prisma, {
      pool,
      nameOf: options.preparedStatements === false ? () => undefined : preparedStatementNames(),
      listeners: new Set(),
    });
  }
  return prisma;
}

/**
 * Runs a read on the pool under Prisma's adapter through node-postgres,
 * prepared once per connection (PostgreSQL then plans it once for all
 * parameter values when that plan costs no more than planning each time: a
 * quarter of a cache read's time in the database, bench/README, "Prepared
 * cache reads"). Prisma's client costs two to three times the driver's CPU
 * per statement (the caller's row 118–150 µs against 40–48, a page of jobs
 * with their lines 440 against 230–260: bench/README, "The hot reads on the
 * driver"), and these are the reads every request makes. Each reports a
 * store call as Prisma's query events do.
 *
 * Only for reads whose best plan does not depend on the values (lookups and
 * pages by key; not the log search, whose plan depends on the pattern), whose
 * text takes a bounded number of shapes (lists go in as one array parameter),
 * and whose columns node-postgres parses as Prisma does (text, timestamptz as
 * Date, no int8 or numeric). Errors are node-postgres's: isPostgresUnavailable
 * knows them.
 */
export async function queryPrepared<Rows extends object[]>(prisma: PrismaClient, sql: Prisma.Sql): Promise<Rows> {
  const reads = preparedReads.get(prisma);
  if (!reads) return prisma.$queryRaw<Rows>(sql);
  const text = sql.text;
  const started = process.hrtime.bigint();
  const result = await reads.pool.query({ name: reads.nameOf(text), text, values: sql.values as unknown[] });
  if (reads.listeners.size > 0) {
    const event = { query: text, duration: Number(process.hrtime.bigint() - started) / 1e6 };
    for (const listener of reads.listeners) listener(event);
  }
  return result.rows as Rows;
}

/** Subscribes to the reads queryPrepared() runs for this client (those that succeeded); returns the unsubscribe. */
export function onPreparedRead(prisma: PrismaClient, listener: (event: QueryEvent) => void): () => void {
  const reads = preparedReads.get(prisma);
  reads?.listeners.add(listener);
  return () => reads?.listeners.delete(listener);
}

/** At most this many statement texts get a name per client: a backstop should a read's text vary without bound. */
export const MAX_PREPARED_STATEMENTS = 200;

/** A name per statement text (node-postgres prepares a named statement on a connection the first time it runs there), none past `max` texts. */
export function preparedStatementNames(max = MAX_PREPARED_STATEMENTS): (text: string) => string | undefined {
  const names = new Map<string, string>();
  return (text) => {
    let name = names.get(text);
    if (name === undefined && names.size < max) names.set(text, (name = `vmo_${names.size}`));
    return name;
  };
}
