// The OpenAPI 3.1 document of the REST routes, generated from the zod schemas
// each route declares with defineRoute (nothing here is written by hand).
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import type { z } from "zod";
import { anyRole, roleLine } from "../auth/operations.js";
import { errorBodySchema } from "./errors.js";
import { routeAccess, type RestRoute } from "./route.js";

export const REST_PREFIX = "/api";

const json = (schema: z.ZodType) => ({ "application/json": { schema } });

function errorResponse(description: string): ResponseConfig {
  return { description, content: json(errorBodySchema) };
}

function errorResponses(route: RestRoute): Record<number, ResponseConfig> {
  const hasBody = !!route.request?.body;
  const extra = new Set(route.errors ?? []);
  const statuses: Record<number, ResponseConfig> = {
    400: errorResponse(
      hasBody
        ? "BAD_USER_INPUT: a parameter, query parameter or body field failed validation, or the body is not valid JSON."
        : "BAD_USER_INPUT: a parameter or query parameter failed validation.",
    ),
    401: errorResponse("UNAUTHENTICATED: no token where one is needed, or an invalid or expired one."),
  };
  if (!anyRole(routeAccess(route.auth))) extra.add(403);
  if (extra.has(403)) statuses[403] = errorResponse("FORBIDDEN: the caller's role may not do this.");
  if (extra.has(404)) statuses[404] = errorResponse("NOT_FOUND.");
  if (extra.has(409)) statuses[409] = errorResponse("CONFLICT.");
  if (extra.has(429)) {
    statuses[429] = {
      ...errorResponse("RATE_LIMITED: too many attempts; `Retry-After` says how many seconds to wait."),
      headers: { "Retry-After": { description: "Seconds before trying again.", schema: { type: "integer" } } },
    };
  }
  if (hasBody) {
    statuses[413] = errorResponse("PAYLOAD_TOO_LARGE: the body is over the route's limit.");
    statuses[415] = errorResponse("BAD_USER_INPUT: the body is not `Content-Type: application/json`.");
  }
  statuses[500] = errorResponse("INTERNAL_SERVER_ERROR (message hidden).");
  if (extra.has(503)) statuses[503] = errorResponse("SERVICE_UNAVAILABLE: a store this call needs is down.");
  return statuses;
}

function describeAuth(route: RestRoute): string {
  // REST has no null answer for an anonymous caller: its check is the access level alone.
  return roleLine(typeof route.auth === "string" ? { access: route.auth } : { ...route.auth, anonymousGetsNull: undefined });
}

function toRouteConfig(route: RestRoute): RouteConfig {
  const { params, query, body } = route.request ?? {};
  return {
    operationId: route.operationId,
    method: route.method,
    path: REST_PREFIX + route.path,
    tags: [route.tag],
    summary: route.summary,
    description: [route.description, describeAuth(route)].filter(Boolean).join("\n\n"),
    ...(routeAccess(route.auth) === "public" ? {} : { security: [{ bearerAuth: [] }] }),
    request: {
      params,
      query,
      ...(body ? { body: { required: true, content: json(body) } } : {}),
    },
    responses: {
      [route.success.status]: {
        description: route.success.description,
        ...(route.success.schema
          ? { content: route.success.eventStream ? { "text/event-stream": { schema: route.success.schema } } : json(route.success.schema) }
          : {}),
      },
      ...errorResponses(route),
    },
  };
}

export function buildOpenApiDocument(routes: readonly RestRoute[]) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "The token from POST /api/users/login (or the GraphQL login mutation).",
  });
  for (const route of routes) registry.registerPath(toRouteConfig(route));
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "VM orchestrator legacy REST API",
      version: "1.0.0",
      description:
        "The /api/* routes older clients call, over the same services as the GraphQL API at /graphql. " +
        "Errors are `{ error: { code, message } }` with the GraphQL API's codes.",
    },
  });
}
