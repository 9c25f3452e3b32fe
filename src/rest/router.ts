// The /api router: every feature's routes, mounted from the same declarations
// that GET /api/openapi.json documents.
import { Router } from "express";
import type { Container } from "../container.js";
import { COMMAND_ROUTES } from "../commands/command.routes.js";
import { JOB_ROUTES } from "../jobs/job.routes.js";
import { LIVE_TAIL_ROUTES } from "../live-tail/live-tail.routes.js";
import { LOG_ROUTES } from "../logs/log-line.routes.js";
import { SEARCH_ROUTES } from "../search/log-search.routes.js";
import { USER_ROUTES } from "../users/user.routes.js";
import { VM_ROUTES } from "../vms/vm.routes.js";
import { createActorMiddleware } from "./actor.js";
import { buildOpenApiDocument } from "./openapi.js";
import { mountRoute, type RestRoute } from "./route.js";

// Every feature's REST routes (src/<feature>/<entity>.routes.ts). SEARCH_ROUTES
// go before LOG_ROUTES: GET /logs/search must not match GET /logs/{jobId}.
export const REST_ROUTES: readonly RestRoute[] = [...USER_ROUTES, ...VM_ROUTES, ...COMMAND_ROUTES, ...JOB_ROUTES, ...SEARCH_ROUTES, ...LOG_ROUTES, ...LIVE_TAIL_ROUTES];

let document: ReturnType<typeof buildOpenApiDocument> | undefined;

/** The document is the same for every server in the process, so it is built once. */
export function restOpenApiDocument() {
  document ??= buildOpenApiDocument(REST_ROUTES);
  return document;
}

/** Mount under REST_PREFIX ("/api"), before the app's 404 handler. */
export function createRestRouter(container: Container): Router {
  const router = Router();
  router.get("/openapi.json", (_req, res) => {
    res.json(restOpenApiDocument());
  });
  const actor = createActorMiddleware(container);
  for (const route of REST_ROUTES) mountRoute(router, route, actor, container.services);
  return router;
}
