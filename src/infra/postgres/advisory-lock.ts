// Session advisory locks seen from any session: pg_locks lists every granted
// advisory lock of the cluster, so an instance can tell whether another one
// (or a CLI) holds a lock without taking it. Used by the full cache resync
// (src/cache/resync-monitor.ts): "a resync is running" is its lock being held.

/** Runs one parameterized statement: a pg client, or Prisma through sqlOverPrisma. */
export interface Sql {
  query<R>(text: string, params: unknown[]): Promise<{ rows: R[] }>;
}

export function sqlOverPrisma(prisma: { $queryRawUnsafe<T>(query: string, ...values: unknown[]): Promise<T> }): Sql {
  return { query: async <R>(text: string, params: unknown[]) => ({ rows: await prisma.$queryRawUnsafe<R[]>(text, ...params) }) };
}

/** Whether some session of this database holds the two-key advisory lock (classId, objId), as pg_try_advisory_lock(int, int) takes it. */
export async function isAdvisoryLockHeld(sql: Sql, classId: number, objId: number): Promise<boolean> {
  const { rows } = await sql.query<{ held: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 2
         AND classid = $1::int::oid AND objid = $2::int::oid
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
     ) AS held`,
    [classId, objId],
  );
  return rows[0]?.held === true;
}
