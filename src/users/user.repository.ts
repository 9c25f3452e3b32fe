// Users live in PostgreSQL only (GDPR data). Every call goes through `guard`,
// the one place where Prisma's errors become the service's: an unreachable
// database is SERVICE_UNAVAILABLE, a taken email is CONFLICT.
import { AppError, ErrorCode, conflict } from "../shared/errors.js";
import { isPostgresUnavailable, isUniqueViolation } from "../infra/postgres/errors.js";
import { Prisma } from "../generated/prisma/client.js";
import { queryPrepared, type PrismaClient } from "../infra/postgres/prisma.js";
import { uuidSchema } from "../shared/validation.js";
import type { Role } from "../auth/permissions.js";
import type { User } from "./user.model.js";

type UserRow = { id: string; email: string; role: string; createdAt: Date; updatedAt: Date };

const PUBLIC_COLUMNS = { id: true, email: true, role: true, createdAt: true, updatedAt: true } as const;

function toUser(row: UserRow): User {
  return { ...row, role: row.role as Role };
}

/** PUBLIC_COLUMNS in raw SQL, named as Prisma names them. */
const USER_COLUMNS = Prisma.sql`id::text AS id, email, role, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** A USER_COLUMNS row from $queryRaw. */
const fromSqlRow = (row: UserRow): User => toUser({ ...row, createdAt: new Date(row.createdAt), updatedAt: new Date(row.updatedAt) });

/** Where a listing resumes: the last user seen (created_at to the millisecond, then id). */
export interface UserListKey {
  createdAt: string;
  id: string;
}

export interface UserChanges {
  email?: string;
  passwordHash?: string;
  role?: Role;
}

/** What a guarded write found; the service turns it into a result or an error. */
export type GuardedWrite<T> = { status: "done"; value: T } | { status: "not-found" } | { status: "last-admin" };

export class UserRepository {
  constructor(private readonly prisma: PrismaClient) {}

  private async guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (isUniqueViolation(error)) throw conflict("a user with this email already exists");
      if (isPostgresUnavailable(error)) {
        throw new AppError(
          ErrorCode.SERVICE_UNAVAILABLE,
          `the user store (PostgreSQL) is unreachable; ${operation} is unavailable, try again shortly`,
          [],
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * One query for any number of ids (the per-request user loader calls this,
   * for the caller of every authenticated request). Prepared, with the ids as
   * one array parameter: the most frequent statement there is, planned once
   * per connection (bench/README, "The caller's row, prepared"). An id that
   * is not a UUID matches no row, as with any other unknown id.
   */
  async findByIds(ids: readonly string[]): Promise<User[]> {
    const valid = ids.filter((id) => uuidSchema.safeParse(id).success);
    if (valid.length === 0) return [];
    return this.guard("reading users", async () => {
      const rows = await queryPrepared<UserRow[]>(this.prisma, Prisma.sql`SELECT ${USER_COLUMNS} FROM users WHERE id = ANY(${valid}::uuid[])`);
      return rows.map(fromSqlRow);
    });
  }

  async findById(id: string): Promise<User | null> {
    return (await this.findByIds([id]))[0] ?? null;
  }

  /** For sign-in only: the one read that returns the password hash. `email` must be lower-cased. */
  async findCredentials(email: string): Promise<{ user: User; passwordHash: string } | null> {
    return this.guard("sign-in", async () => {
      const row = await this.prisma.user.findUnique({
        where: { email },
        select: { ...PUBLIC_COLUMNS, passwordHash: true },
      });
      if (!row) return null;
      const { passwordHash, ...user } = row;
      return { user: toUser(user), passwordHash };
    });
  }

  /** A taken email is CONFLICT, caught from the unique index (no check-then-insert race). */
  async create(data: { email: string; passwordHash: string; role: Role }): Promise<User> {
    return this.guard("creating users", async () => {
      // Written by us at millisecond precision, which the list's cursor keeps exactly.
      const now = new Date();
      return toUser(
        await this.prisma.user.create({ data: { ...data, createdAt: now, updatedAt: now }, select: PUBLIC_COLUMNS }),
      );
    });
  }

  /** Ordered by creation (to the millisecond), then id; `limit` rows after `after`. */
  async list(options: { limit: number; after?: UserListKey }): Promise<User[]> {
    const { limit, after } = options;
    return this.guard("listing users", async () => {
      const rows = after
        ? await this.prisma.$queryRaw<UserRow[]>`
            SELECT ${USER_COLUMNS}
            FROM users
            WHERE (date_trunc('milliseconds', created_at), id) > (${new Date(after.createdAt)}::timestamptz, ${after.id}::uuid)
            ORDER BY date_trunc('milliseconds', created_at), id
            LIMIT ${limit}`
        : await this.prisma.$queryRaw<UserRow[]>`
            SELECT ${USER_COLUMNS}
            FROM users
            ORDER BY date_trunc('milliseconds', created_at), id
            LIMIT ${limit}`;
      return rows.map(fromSqlRow);
    });
  }

  /**
   * Applies `changes` and bumps updated_at. A change that would leave no admin
   * is refused inside the same transaction that holds every admin row
   * (SELECT ... FOR UPDATE, in id order so two such writes never deadlock): a
   * concurrent demotion or deletion of another admin waits, then sees this one.
   */
  async update(id: string, changes: UserChanges): Promise<GuardedWrite<User>> {
    return this.guard("updating users", () =>
      this.prisma.$transaction(async (tx) => {
        if (changes.role !== undefined && changes.role !== "admin") {
          if (await this.wouldRemoveLastAdmin(tx, id)) return { status: "last-admin" as const };
        }
        const updated = await tx.user.updateManyAndReturn({
          where: { id },
          data: { ...changes, updatedAt: new Date() },
          select: PUBLIC_COLUMNS,
        });
        return updated[0] ? { status: "done" as const, value: toUser(updated[0]) } : { status: "not-found" as const };
      }),
    );
  }

  /** Deletes the row (the email with it); the last admin is refused as in update. */
  async delete(id: string): Promise<GuardedWrite<string>> {
    return this.guard("deleting users", () =>
      this.prisma.$transaction(async (tx) => {
        if (await this.wouldRemoveLastAdmin(tx, id)) return { status: "last-admin" as const };
        const deleted = await tx.user.deleteMany({ where: { id } });
        return deleted.count === 1
          ? { status: "done" as const, value: id }
          : { status: "not-found" as const };
      }),
    );
  }

  private async wouldRemoveLastAdmin(tx: Pick<PrismaClient, "$queryRaw">, id: string): Promise<boolean> {
    const admins = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE`;
    return admins.length <= 1 && admins.some((admin) => admin.id === id);
  }
}
