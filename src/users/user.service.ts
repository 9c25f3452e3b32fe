import type DataLoader from "dataloader";
import { z } from "zod";
import { hashPassword, verifyPassword } from "../auth/password.js";
import { OPERATIONS } from "../auth/operations.js";
import { authorize, can, type Actor } from "../auth/permissions.js";
import type { CommandRepository } from "../commands/command.repository.js";
import type { Logger } from "../infra/logger.js";
import { AppError, ErrorCode, conflict, forbidden, notFound, unauthenticated } from "../shared/errors.js";
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from "../shared/pagination.js";
import { parseInput, uuidSchema } from "../shared/validation.js";
import type { User, UserDataExport } from "./user.model.js";
import type { UserChanges, UserRepository } from "./user.repository.js";
import {
  createUserSchema,
  updateUserSchema,
  type CreateUserInput,
  type UpdateUserInput,
} from "./user.schema.js";

export const USER_PAGE = { default: 50, max: 100 };
const CURSOR_KIND = "user";
const cursorShape = { createdAt: z.iso.datetime(), id: uuidSchema };

export interface ListUsersArgs {
  first?: number | null;
  after?: string | null;
}

/**
 * Users, sign-in and GDPR. Transport-neutral: GraphQL resolvers and REST
 * routes call the same methods with the same Actor.
 */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly commands: CommandRepository,
    private readonly logger?: Logger,
  ) {}

  /**
   * The signed-in user; null when not signed in. `sameRequest` is the
   * request's user loader, which already holds the row read to resolve the
   * actor: given it, the row is not read twice.
   */
  async me(actor: Actor | null, sameRequest?: Pick<DataLoader<string, User | null>, "load">): Promise<User | null> {
    if (!actor) return null;
    return sameRequest ? sameRequest.load(actor.id) : this.users.findById(actor.id);
  }

  /** ADMIN: anyone; anybody else: only itself (FORBIDDEN otherwise, whether or not the id exists). */
  async get(actor: Actor | null, id: string): Promise<User | null> {
    authorize(actor, OPERATIONS.user);
    if (actor.id !== id) authorize(actor, OPERATIONS.user.othersNeed!);
    // An id that is not a UUID finds no user (the repository's rule).
    return this.users.findById(id);
  }

  /** ADMIN only. Oldest first. */
  async list(actor: Actor | null, args: ListUsersArgs): Promise<Page<User>> {
    authorize(actor, OPERATIONS.users);
    const size = pageSize(args.first, USER_PAGE.default, USER_PAGE.max);
    const after = args.after ? decodeCursor(CURSOR_KIND, args.after, cursorShape) : undefined;
    const items = await this.users.list({ limit: size + 1, after });
    return toPage(items, size, (user) =>
      encodeCursor(CURSOR_KIND, { createdAt: user.createdAt.toISOString(), id: user.id }),
    );
  }

  /** The signed-in user and every command it issued, newest first. */
  async myData(actor: Actor | null): Promise<UserDataExport> {
    authorize(actor, OPERATIONS.myData);
    const user = await this.users.findById(actor.id);
    if (!user) throw unauthenticated("invalid or expired token");
    const commands = await this.commands.listByIssuer(actor.id);
    return { user, commands, exportedAt: new Date() };
  }

  /** ADMIN only. A taken email, in any case, is CONFLICT. */
  async create(actor: Actor | null, input: CreateUserInput): Promise<User> {
    authorize(actor, OPERATIONS.createUser);
    const valid = parseInput(createUserSchema, input);
    return this.users.create({ email: valid.email, passwordHash: await hashPassword(valid.password), role: valid.role });
  }

  /**
   * ADMIN: any field of anyone (an admin may step down while another admin
   * remains). Anybody else: its own email and password; a role, even its own
   * current one, is FORBIDDEN.
   */
  async update(actor: Actor | null, id: string, input: UpdateUserInput): Promise<User> {
    authorize(actor, OPERATIONS.updateUser);
    const isAdmin = can(actor, OPERATIONS.updateUser.othersNeed!);
    if (!isAdmin && actor.id !== id) throw forbidden("only an admin may change another user");
    if (!isAdmin && input.role != null) throw forbidden("only an admin may change a role");
    const valid = parseInput(updateUserSchema, input);
    if (!uuidSchema.safeParse(id).success) throw notFound("user", id);
    const changes: UserChanges = {};
    if (valid.email != null) changes.email = valid.email;
    if (valid.role != null) changes.role = valid.role;
    if (valid.password != null) changes.passwordHash = await hashPassword(valid.password);
    const result = await this.users.update(id, changes);
    if (result.status === "not-found") throw notFound("user", id);
    if (result.status === "last-admin") throw conflict("the last admin cannot be demoted; make another admin first");
    return result.value;
  }

  /**
   * ADMIN only. GDPR erasure: deletes the row (and the email with it), then
   * unlinks the user from its commands in DynamoDB. If the unlinking fails
   * midway the call fails; calling it again for the same id finishes the job
   * (the row is gone, so it only unlinks) and answers true.
   */
  async delete(actor: Actor | null, id: string): Promise<boolean> {
    authorize(actor, OPERATIONS.deleteUser);
    if (!uuidSchema.safeParse(id).success) throw notFound("user", id);
    const result = await this.users.delete(id);
    if (result.status === "last-admin") throw conflict("the last admin cannot be deleted; make another admin first");
    const unlinked = await this.commands.unlinkIssuer(id).catch((error: unknown) => {
      this.logger?.error({ err: error, userId: id }, "erasure incomplete: commands not unlinked; call deleteUser again");
      throw error;
    });
    if (result.status === "not-found" && unlinked === 0) throw notFound("user", id);
    this.logger?.info({ userId: id, unlinkedCommands: unlinked }, "user erased");
    return true;
  }

  /**
   * Start-up and seeding only (no actor: the operator's configuration is the
   * authority). Creates the user, or gives an existing one `role`; with
   * `resetPassword` also makes `password` its password. Idempotent, and safe
   * when two processes run it at once.
   */
  async ensureUser(input: CreateUserInput, options: { resetPassword?: boolean } = {}): Promise<{ user: User; created: boolean }> {
    const valid = parseInput(createUserSchema, input);
    let existing = await this.users.findCredentials(valid.email);
    if (!existing) {
      try {
        const passwordHash = await hashPassword(valid.password);
        return { user: await this.users.create({ email: valid.email, passwordHash, role: valid.role }), created: true };
      } catch (error) {
        if (!(error instanceof AppError && error.code === ErrorCode.CONFLICT)) throw error;
        existing = await this.users.findCredentials(valid.email);
        if (!existing) throw error;
      }
    }
    const changes: UserChanges = {};
    if (existing.user.role !== valid.role) changes.role = valid.role;
    if (options.resetPassword && !(await verifyPassword(existing.passwordHash, valid.password))) {
      changes.passwordHash = await hashPassword(valid.password);
    }
    if (Object.keys(changes).length === 0) return { user: existing.user, created: false };
    const result = await this.users.update(existing.user.id, changes);
    if (result.status === "last-admin") throw conflict(`${valid.email} is the last admin and cannot become ${valid.role}`);
    if (result.status === "not-found") throw notFound("user", existing.user.id);
    return { user: result.value, created: false };
  }

  /**
   * ADMIN_EMAIL / ADMIN_PASSWORD at start: creates that admin, or promotes the
   * existing account. An existing account's password is left alone, so a
   * password changed through the API survives restarts.
   */
  async ensureAdmin(admin: { email: string; password: string }): Promise<User> {
    const { user, created } = await this.ensureUser({ ...admin, role: "admin" });
    this.logger?.info({ userId: user.id, created }, created ? "admin created from ADMIN_EMAIL" : "admin from ADMIN_EMAIL present");
    return user;
  }
}
