// PostgreSQL session advisory locks: "one at a time across every instance"
// without a table. A key is one bigint-range int, or two ints (a class and an
// id); the lock lives as long as the session that took it, so a process that
// dies (its connection closes) releases it. Used by the cache stream's
// election, the cache purge and the full resync. pg_locks lists every granted
// advisory lock, so any session can tell whether another one holds a lock
// without taking it: "a resync is running" is its lock being held.
import type pg from "pg";

export type AdvisoryLockKey = number | readonly [number, number];

const args = (key: AdvisoryLockKey) => (typeof key === "number" ? { sql: "$1", values: [key] } : { sql: "$1, $2", values: [...key] });

/** A 31-bit key from a name (FNV-1a), so two deployments' locks differ by, say, their table name. */
export function lockKeyOf(name: string): number {
  let hash = 0x811c9dc5;
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash & 0x7fffffff;
}

/** Takes the lock for this session if no other session holds it; never waits. */
export async function tryAdvisoryLock(session: pg.ClientBase, key: AdvisoryLockKey): Promise<boolean> {
  const { sql, values } = args(key);
  const { rows } = await session.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${sql}) AS locked`, values);
  return rows[0]?.locked === true;
}

/** Releases the lock; a failure (the session is gone, and the lock with it) is ignored. */
export async function releaseAdvisoryLock(session: pg.ClientBase, key: AdvisoryLockKey): Promise<void> {
  const { sql, values } = args(key);
  await session.query(`SELECT pg_advisory_unlock(${sql})`, values).catch(() => undefined);
}

/** Runs `work` holding the lock, released afterwards however `work` ends; `locked: false` when another session holds it. */
export async function withAdvisoryLock<T>(
  session: pg.ClientBase,
  key: AdvisoryLockKey,
  work: () => Promise<T>,
): Promise<{ locked: true; value: T } | { locked: false }> {
  if (!(await tryAdvisoryLock(session, key))) return { locked: false };
  try {
    return { locked: true, value: await work() };
  } finally {
    await releaseAdvisoryLock(session, key);
  }
}

/** Runs one parameterized statement: a pg client, or Prisma through sqlOverPrisma. */
export interface Sql {
  query<R>(text: string, params: unknown[]): Promise<{ rows: R[] }>;
}

export function sqlOverPrisma(prisma: { $queryRawUnsafe<T>(query: string, ...values: unknown[]): Promise<T> }): Sql {
  return { query: async <R>(text: string, params: unknown[]) => ({ rows: await prisma.$queryRawUnsafe<R[]>(text, ...params) }) };
}

/** The application_name of the session holding the lock in this database, if any (undefined: nobody holds it). */
async function lockHolder(sql: Sql | pg.ClientBase, key: AdvisoryLockKey): Promise<{ name: string } | undefined> {
  // pg_locks shows a one-int key as (classid 0, objid key, objsubid 1), a two-int key as (classid, objid, objsubid 2).
  const [classId, objId, subId] = typeof key === "number" ? [0, key, 1] : [key[0], key[1], 2];
  const { rows } = await (sql as Sql).query<{ name: string }>(
    `SELECT a.application_name AS name
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = $3
       AND l.classid = $1::int::oid AND l.objid = $2::int::oid
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [classId, objId, subId],
  );
  return rows[0];
}

/** The application_name of the session holding the lock in this database, if any: how a holder publishes its state. */
export async function advisoryLockHolderName(session: pg.ClientBase, key: AdvisoryLockKey): Promise<string | undefined> {
  return (await lockHolder(session, key))?.name;
}

/** Whether some session of this database holds the two-key advisory lock (classId, objId), as pg_try_advisory_lock(int, int) takes it. */
export async function isAdvisoryLockHeld(sql: Sql, classId: number, objId: number): Promise<boolean> {
  return (await lockHolder(sql, [classId, objId])) !== undefined;
}
