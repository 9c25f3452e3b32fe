// One declaration per REST route: defineRoute({ method, path, auth, request,
// success, handler }). The router mounts it (src/rest/router.ts) and the OpenAPI
// document describes it (src/rest/openapi.ts), both from the same zod schemas,
// so what is validated is what is documented.
import express, { type Request, type RequestHandler, type Router } from "express";
import type { IncomingHttpHeaders } from "node:http";
import type { z } from "zod";
import type { Access, Operation } from "../auth/operations.js";
import { authorize, type Actor } from "../auth/permissions.js";
import type { Services } from "../container.js";
import { unauthenticated } from "../shared/errors.js";
import { parseInput } from "../shared/validation.js";
import { unsupportedMediaType } from "./errors.js";
import { isEventStream, sendEventStream, type SseEvent } from "./event-stream.js";

/** JSON body limits (README, "REST"): log batches are large, everything else is small. */
export const REST_BODY_LIMIT = 64 * 1024;
export const LOG_BODY_LIMIT = 1024 * 1024;

export type RouteMethod = "get" | "post" | "patch" | "delete";
/**
 * Who may call: the operation's one declaration (OPERATIONS in
 * src/auth/operations.ts), or an access level for a route that is no API
 * operation. "public": anyone; "signed-in": any valid token; a Permission:
 * the roles holding it.
 */
export type RouteAuth = Operation | Access;

/** The access level a route's `auth` declares. */
export const routeAccess = (auth: RouteAuth): Access => (typeof auth === "string" ? auth : auth.access);
/** Error statuses a route documents beyond those every route of its kind can answer. */
export type ExtraErrorStatus = 403 | 404 | 409 | 429 | 503;

type ParamsSchema = z.ZodObject;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
type Reply<R> = R extends z.ZodType ? z.input<R> : void;

export interface RouteContext<P, Q, B> {
  actor: Actor | null;
  /** The client's address as Express sees it (TRUST_PROXY). */
  clientIp: string | undefined;
  services: Services;
  headers: IncomingHttpHeaders;
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
}

export interface RouteSpec<
  P extends ParamsSchema | undefined,
  Q extends ParamsSchema | undefined,
  B extends z.ZodType | undefined,
  R extends z.ZodType | undefined,
> {
  /** Unique across the API; clients generated from the document name calls by it. */
  operationId: string;
  method: RouteMethod;
  /** Below /api, in OpenAPI form: "/vms/{vmId}". */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  auth: RouteAuth;
  request?: { params?: P; query?: Q; body?: B };
  /** Bytes; REST_BODY_LIMIT unless set. */
  bodyLimit?: number;
  /**
   * `eventStream`: the success is Server-Sent Events (text/event-stream), the
   * handler returns them (src/rest/event-stream.ts), and `schema` documents
   * each event's data. Errors before the first event stay JSON.
   */
  success: { status: 200 | 201 | 204; description: string; schema?: R; eventStream?: boolean };
  errors?: ExtraErrorStatus[];
  /** Thin: call one service method, return the presented result (nothing for 204). */
  handler(ctx: RouteContext<P, Q, B>): Promise<Reply<R> | AsyncIterable<SseEvent>>;
}

/** A declared route with its schema types erased, as the router and the document take it. */
export type RestRoute = RouteSpec<ParamsSchema | undefined, ParamsSchema | undefined, z.ZodType | undefined, z.ZodType | undefined>;

export function defineRoute<
  P extends ParamsSchema | undefined = undefined,
  Q extends ParamsSchema | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B, R>): RestRoute {
  const names = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const declared = Object.keys(spec.request?.params?.shape ?? {});
  if (names.join() !== declared.join()) {
    throw new Error(`defineRoute ${spec.operationId}: path ${spec.path} has parameters [${names}], request.params declares [${declared}]`);
  }
  return spec as unknown as RestRoute;
}

/** "/vms/{vmId}" → "/vms/:vmId". */
export const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ":$1");

function requireAuth(auth: RouteAuth): RequestHandler {
  const access = routeAccess(auth);
  return (_req, res, next) => {
    const { actor } = res.locals;
    if (access === "signed-in" && !actor) throw unauthenticated();
    if (access !== "public" && access !== "signed-in") authorize(actor, access);
    next();
  };
}

const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is("application/json")) {
    throw unsupportedMediaType(`expected Content-Type: application/json, got ${req.headers["content-type"] ?? "none"}`);
  }
  next();
};

/** Params, then query, then body: the first part that fails is the 400's message. */
function parseRequest(route: RestRoute, req: Request) {
  const { params, query, body } = route.request ?? {};
  return {
    params: params ? parseInput(params, req.params, "params") : undefined,
    // Unknown query parameters are dropped by z.object; only declared ones are checked.
    query: query ? parseInput(query, req.query, "query") : undefined,
    body: body ? parseInput(body, req.body, "body") : undefined,
  };
}

/**
 * Mounts a route: actor → permission (401/403 before any body is read) →
 * Content-Type (415) → JSON body within its limit (413, malformed 400) →
 * validation (400) → handler.
 */
export function mountRoute(router: Router, route: RestRoute, actorMiddleware: RequestHandler, services: Services): void {
  const chain: RequestHandler[] = [actorMiddleware, requireAuth(route.auth)];
  if (route.request?.body) {
    chain.push(requireJson, express.json({ limit: route.bodyLimit ?? REST_BODY_LIMIT }));
  }
  chain.push(async (req, res) => {
    const input = parseRequest(route, req);
    const reply = await route.handler({ actor: res.locals.actor, clientIp: req.ip, services, headers: req.headers, ...input });
    if (route.success.eventStream && isEventStream(reply)) await sendEventStream(req, res, reply);
    else if (route.success.status === 204) res.status(204).end();
    else res.status(route.success.status).json(reply);
  });
  router[route.method](expressPath(route.path), ...chain);
}
