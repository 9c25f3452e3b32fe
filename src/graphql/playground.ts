// The GraphQL Playground for developers: ruru (a maintained GraphiQL
// distribution) with its assets served by this server, so it works offline.
// Its header editor takes `Authorization: Bearer <token>`.
import { createHash } from "node:crypto";
import { Router } from "express";
import helmet from "helmet";
import { ruruHTML } from "ruru/server";
import { serveStatic } from "ruru/static";

const STATIC_PATH = "/graphql/assets/";

/**
 * The page's CSP: scripts only from this server, plus ruru's two inline boot
 * scripts by hash; styles inline too (GraphiQL and Monaco set element styles
 * at run time); requests only to this server. Nothing from elsewhere loads.
 */
function playgroundSecurityHeaders(html: string) {
  const inlineScripts = [...html.matchAll(/<script(?:\s[^>]*)?>([\s\S]*?)<\/script>/g)]
    .map((match) => match[1]!)
    .filter((body) => body.trim() !== "");
  const hashes = inlineScripts.map((body) => `'sha256-${createHash("sha256").update(body).digest("base64")}'`);
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'", ...hashes],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        fontSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        workerSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
  });
}

/** `firstTab`: the query editor's text in a new browser profile (playground-intro.ts). */
export function createPlaygroundRouter(endpoint: string, firstTab?: string): Router {
  const html = ruruHTML({ endpoint, staticPath: STATIC_PATH, clientConfig: { defaultQuery: firstTab } });
  const securityHeaders = playgroundSecurityHeaders(html);
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
    securityHeaders(req, res, () => res.type("html").send(html));
  });
  return router;
}
