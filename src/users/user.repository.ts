import type { PrismaClient } from "../infra/postgres/prisma";
import type { Role } from "../auth/permissions";
import type { User } from "./user.model";

type UserRow = { id: string; email: string; role: string; createdAt: Date; updatedAt: Date };

const PUBLIC_COLUMNS = { id: true, email: true, role: true, createdAt: true, updatedAt: true } as const;

function toUser(row: UserRow): User {
  return { ...row, role: row.role as Role };
}

export class UserRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** One query for any number of ids (the per-request user loader calls this). */
  async findByIds(ids: readonly string[]): Promise<User[]> {
    const rows = await this.prisma.user.findMany({ where: { id: { in: [...ids] } }, select: PUBLIC_COLUMNS });
    return rows.map(toUser);
  }

  async create(data: { email: string; passwordHash: string; role: Role }): Promise<User> {
    return toUser(await this.prisma.user.create({ data, select: PUBLIC_COLUMNS }));
  }
}
