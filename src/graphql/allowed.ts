// @Allowed(OPERATIONS.x): type-graphql's @Authorized derived from the
// operation's one declaration (src/auth/operations.ts). Public operations (and
// Query.me, which answers null to an anonymous caller) get no @Authorized.
import { Authorized } from "type-graphql";
import { anyRole, rolesFor, type Operation } from "../auth/operations.js";

export function Allowed(op: Operation): MethodDecorator {
  if (op.access === "public" || op.anonymousGetsNull) return () => undefined;
  // No roles: any signed-in user (authChecker); otherwise only those roles.
  return Authorized(anyRole(op.access) ? [] : rolesFor(op.access));
}
