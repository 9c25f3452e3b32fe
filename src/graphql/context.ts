import type { Request } from "express";
import { resolveActor } from "../auth/actor.js";
import type { Actor } from "../auth/permissions.js";
import type { Container, Services } from "../container.js";
import { toGraphQLError } from "./errors.js";
import { createLoaders, createServiceLoaders, type RequestLoaders } from "./loaders.js";

export interface GraphQLContext {
  actor: Actor | null;
  services: Services;
  loaders: RequestLoaders;
}

export function createContextFactory(container: Container) {
  return async ({ req }: { req: Request }): Promise<GraphQLContext> => {
    const loaders = createLoaders(container.repositories);
    try {
      const actor = await resolveActor(req.headers.authorization, container.tokens, loaders.userById, container.logger);
      return { actor, services: container.services, loaders: { ...loaders, ...createServiceLoaders(container.services, actor) } };
    } catch (error) {
      throw toGraphQLError(error, container.logger);
    }
  };
}
