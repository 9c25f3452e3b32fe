// Turns a request's Authorization header into the Actor the services check.
// Shared by the GraphQL context and the REST middleware.
import type DataLoader from "dataloader";
import type { Logger } from "../infra/logger.js";
import { AppError, ErrorCode, unauthenticated } from "../shared/errors.js";
import type { User } from "../users/user.model.js";
import { ROLES, type Actor, type Role } from "./permissions.js";
import { bearerToken, type TokenIssuer } from "./token.js";

/**
 * Null without a token; UNAUTHENTICATED for an expired or forged one, or one
 * whose user is gone.
 *
 * While PostgreSQL is unreachable (not when the user is missing) the actor
 * comes from the token's signed claims instead, so reads and writes of VMs,
 * commands, jobs and logs keep working from DynamoDB. The price: until
 * PostgreSQL is back, an erased or demoted user's unexpired token keeps the
 * role it was issued with (at most TOKEN_TTL_HOURS). Each fallback is logged.
 */
export async function resolveActor(
  authorization: string | undefined,
  tokens: TokenIssuer,
  userById: DataLoader<string, User | null>,
  logger?: Logger,
): Promise<Actor | null> {
  if (!authorization) return null;
  const token = bearerToken(authorization);
  const claims = token ? await tokens.claims(token) : null;
  if (!claims) throw unauthenticated("invalid or expired token");
  let user: User | null;
  try {
    user = await userById.load(claims.userId);
  } catch (error) {
    const role = claims.role;
    if (error instanceof AppError && error.code === ErrorCode.SERVICE_UNAVAILABLE && isRole(role)) {
      logger?.warn({ userId: claims.userId, role }, "PostgreSQL unreachable: actor taken from the token's claims");
      return { id: claims.userId, role };
    }
    throw error;
  }
  if (!user) throw unauthenticated("invalid or expired token");
  return { id: user.id, role: user.role };
}

function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
