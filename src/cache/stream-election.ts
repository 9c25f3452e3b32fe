// The cache stream's election: one consumer per deployment, the holder of a
// PostgreSQL session advisory lock on a dedicated connection (keepalives on).
// A SIGKILLed leader's connection closes, its lock goes with it, and the next
// try takes over. The leader publishes how far it has caught up as its lock
// session's application_name; the other instances read it when they retry.
import pg from "pg";
import { advisoryLockHolderName, lockKeyOf, withAdvisoryLock } from "../infra/postgres/advisory-lock.js";

/** Advisory lock keys: "vmos" and the jobs table's name, so two deployments sharing a database do not share a consumer. */
const LOCK_CLASS = 0x766d6f73;
const APP_NAME = "vmo-cache-stream";

/** The leader's lock session is gone (so is its lock): stop consuming. */
export class SessionLost extends Error {}

export class StreamElection {
  private readonly key: readonly [number, number];
  private session: pg.Client | undefined;
  private sessionLost = false;

  constructor(
    private readonly databaseUrl: string,
    /** The jobs table's name: what the lock is for. */
    table: string,
  ) {
    this.key = [LOCK_CLASS, lockKeyOf(table)];
  }

  /**
   * One try: as leader, runs `lead(session)` holding the lock until it returns
   * or throws; `led: false` when another instance holds it. Throws when
   * PostgreSQL cannot be reached.
   */
  async tryLead(lead: () => Promise<void>): Promise<{ led: boolean }> {
    const session = await this.open();
    const held = await withAdvisoryLock(session, this.key, lead);
    return { led: held.locked };
  }

  /** The leader's caught-up time (epoch ms) as it last published it; undefined while it replays, or with no leader. */
  async leaderCaughtUp(): Promise<number | undefined> {
    const name = await advisoryLockHolderName(await this.open(), this.key);
    const match = /^vmo-cache-stream caught-up (\d+)$/.exec(name ?? "");
    return match ? Number(match[1]) : undefined;
  }

  /** Leader: publishes its state and proves its lock session is alive (SessionLost otherwise). */
  async heartbeat(caughtUpAt: number | undefined): Promise<void> {
    const session = this.session;
    if (!session || this.sessionLost) throw new SessionLost("the lock session was lost");
    const name = caughtUpAt === undefined ? `${APP_NAME} replaying` : `${APP_NAME} caught-up ${caughtUpAt}`;
    try {
      await session.query("SELECT set_config('application_name', $1, false)", [name]);
    } catch (error) {
      throw new SessionLost("the lock session was lost", { cause: error });
    }
  }

  /** Closes the lock session (releasing the lock, if held). */
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session) await session.end().catch(() => undefined);
  }

  private async open(): Promise<pg.Client> {
    if (this.session && !this.sessionLost) return this.session;
    await this.close();
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: APP_NAME,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    this.sessionLost = false;
    client.on("error", () => (this.sessionLost = true));
    client.on("end", () => (this.sessionLost = true));
    this.session = client;
    await client.connect();
    // A partitioned leader's lock is released within ~30 s, not at the OS's TCP timeout.
    await client.query("SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 4; SET statement_timeout = '10s'");
    return client;
  }
}
