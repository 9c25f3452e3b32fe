// GET /metrics in Prometheus' text format, and the middleware that times every
// HTTP request. With METRICS_TOKEN set the scrape needs `Authorization: Bearer
// <token>` (Prometheus' `authorization` / `bearer_token_file`); unset, it is
// open like /healthz: expose it to the scraper's network only.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Router, type RequestHandler } from "express";
import type { NodeMiddleware } from "../infra/middleware.js";
import { bearerToken } from "../auth/token.js";
import { sendError } from "../rest/errors.js";
import { ErrorCode } from "../shared/errors.js";
import type { Metrics } from "./metrics.js";

export const METRICS_PATH = "/metrics";

/**
 * The matched route pattern: a router route ("/api/vms/:id"), else the mount
 * path of the middleware that answered ("/graphql"), else "unmatched" (404s
 * must not create a series per probed URL).
 */
function routeOf(req: RoutedRequest): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === "string") return `${req.baseUrl ?? ""}${route}`;
  if (req.baseUrl) return req.baseUrl;
  return "unmatched";
}

/** What Express's routing leaves on a request (POST /graphql, served without Express, sets baseUrl as its mount would). */
export type RoutedRequest = IncomingMessage & { route?: unknown; baseUrl?: string };

export function httpMetricsMiddleware(metrics: Metrics): NodeMiddleware {
  return (req: RoutedRequest, res, next) => {
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      metrics.observeHttp({
        method: req.method ?? "",
        route: routeOf(req),
        status: res.statusCode,
        durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    });
    next();
  };
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Compares digests, so neither the token's length nor its prefix leaks through timing. */
function requireBearer(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const given = bearerToken(req.headers.authorization);
    if (given && timingSafeEqual(digest(given), expected)) return next();
    res.set("WWW-Authenticate", 'Bearer realm="metrics"');
    sendError(res, ErrorCode.UNAUTHENTICATED, "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>");
  };
}

export function createMetricsRouter(metrics: Metrics, options: { token?: string } = {}): Router {
  const router = Router();
  if (options.token) router.get(METRICS_PATH, requireBearer(options.token));
  router.get(METRICS_PATH, async (_req, res, next) => {
    try {
      const body = await metrics.registry.metrics();
      res.type(metrics.registry.contentType).send(body);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
