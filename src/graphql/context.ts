import { resolveActor } from "../auth/actor.js";
import type { Actor } from "../auth/permissions.js";
import type { Container, Services } from "../container.js";
import { toGraphQLError } from "./errors.js";
import { createLoaders, createServiceLoaders, type RequestLoaders } from "./loaders.js";

export interface GraphQLContext {
  /** Set by `authenticate`, after the document passed its limits (src/graphql/request-guard.ts). */
  actor: Actor | null;
  services: Services;
  loaders: RequestLoaders;
  /** The client's address as Express sees it (TRUST_PROXY): what sign-in throttling counts by. */
  clientIp: string | undefined;
}

/** The Authorization header, kept for `authenticate` (a symbol: copied with the context, not read by resolvers). */
const AUTHORIZATION = Symbol("authorization");
type PendingContext = GraphQLContext & { [AUTHORIZATION]?: string };

/**
 * Builds the context without touching a store: the actor (a user lookup) is
 * resolved by `authenticate` only once the document passed its limits, so a
 * refused document costs no store call, token or not.
 */
export function createContextFactory(container: Container) {
  return async (request: HttpRequestFacts): Promise<GraphQLContext> => {
    const storeLoaders = createLoaders(container.repositories);
    const context: PendingContext = {
      actor: null,
      services: container.services,
      loaders: { ...storeLoaders, ...createServiceLoaders(container.services, null) },
      clientIp: request.clientIp,
      [AUTHORIZATION]: request.authorization,
    };
    return context;
  };
}

/** What a GraphQL request's context takes from its HTTP request. */
export interface HttpRequestFacts {
  /** The client's address (TRUST_PROXY decides which X-Forwarded-For hop), as Express's req.ip. */
  clientIp: string | undefined;
  authorization: string | undefined;
}

export type ContextFactory = ReturnType<typeof createContextFactory>;

/** Resolves the request's actor into its context (UNAUTHENTICATED for a bad token). */
export async function authenticate(context: GraphQLContext, container: Container): Promise<void> {
  const authorization = (context as PendingContext)[AUTHORIZATION];
  try {
    const actor = await resolveActor(authorization, container.tokens, context.loaders.userById, container.logger);
    context.actor = actor;
    context.loaders = { ...context.loaders, ...createServiceLoaders(container.services, actor) };
  } catch (error) {
    throw toGraphQLError(error, container.logger);
  }
}
