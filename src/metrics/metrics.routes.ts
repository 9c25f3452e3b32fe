// GET /metrics in Prometheus' text format, and the middleware that times every
// HTTP request. Like /healthz it is unauthenticated: expose it to the scraper's
// network only (it holds counts and latencies, no data).
import { Router, type Request, type RequestHandler } from "express";
import type { Metrics } from "./metrics.js";

export const METRICS_PATH = "/metrics";

/**
 * The matched route pattern: a router route ("/api/vms/:id"), else the mount
 * path of the middleware that answered ("/graphql"), else "unmatched" (404s
 * must not create a series per probed URL).
 */
function routeOf(req: Request): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === "string") return `${req.baseUrl}${route}`;
  if (req.baseUrl) return req.baseUrl;
  return "unmatched";
}

export function httpMetricsMiddleware(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      metrics.observeHttp({
        method: req.method,
        route: routeOf(req),
        status: res.statusCode,
        durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    });
    next();
  };
}

export function createMetricsRouter(metrics: Metrics): Router {
  const router = Router();
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
