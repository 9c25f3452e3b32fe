// One log line per HTTP request, when it finishes: a request id (the caller's
// X-Request-Id when it is sane, else a new one; echoed in the response so a
// client's report can be matched to the log) and, for GraphQL, the operation
// name, which is what tells one POST /graphql from another.
import { randomUUID } from "node:crypto";
import type { Request, RequestHandler } from "express";
import type { Logger } from "./logger.js";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const NAMED_OPERATION = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

export function requestLog(logger: Logger, graphqlPath: string): RequestHandler {
  return (req, res, next) => {
    const given = req.get("x-request-id");
    const reqId = given && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader("x-request-id", reqId);
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        {
          reqId,
          method: req.method,
          url: req.originalUrl,
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
          operationName: req.path === graphqlPath || req.originalUrl.startsWith(graphqlPath) ? operationName(req) : undefined,
        },
        "request",
      );
    });
    next();
  };
}

/** The body's operationName, else the name of the document's first operation (parsed by express.json before us). */
function operationName(req: Request): string | undefined {
  const body = req.body as { operationName?: unknown; query?: unknown } | undefined;
  if (typeof body?.operationName === "string" && body.operationName) return body.operationName;
  if (typeof body?.query === "string") return NAMED_OPERATION.exec(body.query)?.[1];
  return undefined;
}
