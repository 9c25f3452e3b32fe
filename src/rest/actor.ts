// Who is calling: the same rule as the GraphQL context (src/auth/actor.ts), with
// the same per-request user loader, so a REST request and a GraphQL request
// with one token always see the same Actor.
import type { RequestHandler } from "express";
import { resolveActor } from "../auth/actor.js";
import type { Actor } from "../auth/permissions.js";
import type { Container } from "../container.js";
import { createLoaders } from "../graphql/loaders.js";

declare global {
  namespace Express {
    interface Locals {
      /** Set by the actor middleware on every mounted REST route; null without a token. */
      actor: Actor | null;
    }
  }
}

/** Sets res.locals.actor; a forged, expired or orphaned token is UNAUTHENTICATED (401). */
export function createActorMiddleware(container: Pick<Container, "repositories" | "tokens">): RequestHandler {
  return async (req, res, next) => {
    const { userById } = createLoaders(container.repositories);
    res.locals.actor = await resolveActor(req.headers.authorization, container.tokens, userById);
    next();
  };
}
