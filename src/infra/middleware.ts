// Connect-style middleware on node:http's own request and response, so one
// function serves Express's routes and the GraphQL endpoint that runs without
// Express (src/graphql/http.ts) alike. Express accepts these as they are.
import type { IncomingMessage, ServerResponse } from "node:http";

export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Runs `chain` in order as Express would: each calls next() to go on, or
 * answers and stops; `done` follows the last, or takes the first error. A
 * middleware that answers (a refusal, a CORS preflight) ends the chain.
 */
export function runMiddleware(chain: readonly NodeMiddleware[], req: IncomingMessage, res: ServerResponse, done: (error?: unknown) => void): void {
  let at = 0;
  const next = (error?: unknown): void => {
    if (error !== undefined && error !== null) return done(error);
    const middleware = chain[at++];
    if (!middleware) return done();
    try {
      middleware(req, res, next);
    } catch (thrown) {
      done(thrown);
    }
  };
  next();
}

/** A JSON answer, as Express's res.json writes it (the same Content-Type), on any response. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.end(JSON.stringify(body));
}
