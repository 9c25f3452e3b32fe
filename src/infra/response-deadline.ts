// Every GraphQL and REST request gets an answer within REQUEST_TIMEOUT_MS: if
// the handler has not started its response by then (a store that hangs, a
// slow resolver), the client gets a TIMEOUT error instead of a socket that
// hangs. graphql-js cannot abort a running execution: the handler finishes in
// the background (its store calls have their own timeouts) and its late answer
// is dropped (src/rest/errors.ts ignores errors once a response was sent).
// A streaming response (SSE) sends its headers at once, so it is never cut.
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * `answer` gets the response as the route has it (Express's on /api, node's
 * own on POST /graphql) and the message every transport says it with.
 */
export function responseDeadline<R extends ServerResponse>(ms: number, answer: (res: R, message: string) => void) {
  const message = `the request took longer than ${ms} ms; it may still complete`;
  return (_req: IncomingMessage, res: R, next: () => void): void => {
    const timer = setTimeout(() => {
      if (!res.headersSent) answer(res, message);
    }, ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    res.once("finish", clear).once("close", clear);
    next();
  };
}
