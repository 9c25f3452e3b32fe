// type-graphql's @Authorized(roles) on the schema. The services enforce the same
// rules for REST; this makes them visible on the GraphQL operations, and throws
// the same coded errors.
import type { AuthChecker } from "type-graphql";
import type { Role } from "../auth/permissions.js";
import { forbidden, unauthenticated } from "../shared/errors.js";
import type { GraphQLContext } from "./context.js";

export const authChecker: AuthChecker<GraphQLContext, Role> = ({ context }, roles) => {
  if (!context.actor) throw unauthenticated();
  if (roles.length > 0 && !roles.includes(context.actor.role)) {
    throw forbidden(`the ${context.actor.role} role may not do this`);
  }
  return true;
};
