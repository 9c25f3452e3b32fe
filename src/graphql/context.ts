import type { Request } from "express";
import { resolveActor } from "../auth/actor";
import type { Actor } from "../auth/permissions";
import type { Container, Services } from "../container";
import { toGraphQLError } from "./errors";
import { createLoaders, type Loaders } from "./loaders";

export interface GraphQLContext {
  actor: Actor | null;
  services: Services;
  loaders: Loaders;
}

export function createContextFactory(container: Container) {
  return async ({ req }: { req: Request }): Promise<GraphQLContext> => {
    const loaders = createLoaders(container.repositories);
    try {
      const actor = await resolveActor(req.headers.authorization, container.tokens, loaders.userById, container.logger);
      return { actor, services: container.services, loaders };
    } catch (error) {
      throw toGraphQLError(error, container.logger);
    }
  };
}
