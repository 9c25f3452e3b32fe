// The GraphQL Playground for developers: ruru (a maintained GraphiQL
// distribution) with its assets served by this server, so it works offline.
// Its header editor takes `Authorization: Bearer <token>`.
import { Router } from "express";
import { ruruHTML } from "ruru/server";
import { serveStatic } from "ruru/static";

const STATIC_PATH = "/graphql/assets/";

/** `firstTab`: the query editor's text in a new browser profile (playground-intro.ts). */
export function createPlaygroundRouter(endpoint: string, firstTab?: string): Router {
  const html = ruruHTML({ endpoint, staticPath: STATIC_PATH, clientConfig: { defaultQuery: firstTab } });
  const router = Router();
  const assets = serveStatic(STATIC_PATH);
  router.use(STATIC_PATH, (req, res, next) => {
    // serveStatic trims STATIC_PATH from the full URL itself.
    req.url = req.originalUrl;
    assets(req, res, next);
  });
  router.get(endpoint, (req, res, next) => {
    const wantsPage = req.accepts(["application/json", "text/html"]) === "text/html" && !("query" in req.query);
    if (!wantsPage) return next();
    res.type("html").send(html);
  });
  return router;
}
