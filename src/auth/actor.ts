// Turns a request's Authorization header into the Actor the services check.
// Shared by the GraphQL context and the REST middleware.
import type DataLoader from "dataloader";
import { unauthenticated } from "../shared/errors";
import type { User } from "../users/user.model";
import type { Actor } from "./permissions";
import { bearerToken, type TokenIssuer } from "./token";

/** Null without a token; UNAUTHENTICATED for an expired or forged one, or one whose user is gone. */
export async function resolveActor(
  authorization: string | undefined,
  tokens: TokenIssuer,
  userById: DataLoader<string, User | null>,
): Promise<Actor | null> {
  if (!authorization) return null;
  const token = bearerToken(authorization);
  const userId = token ? await tokens.verify(token) : null;
  if (!userId) throw unauthenticated("invalid or expired token");
  const user = await userById.load(userId);
  if (!user) throw unauthenticated("invalid or expired token");
  return { id: user.id, role: user.role };
}
