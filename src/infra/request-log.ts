// One log line per HTTP request, when it finishes: a request id (the caller's
// X-Request-Id when it is sane, else a new one; echoed in the response so a
// client's report can be matched to the log) and, for GraphQL, the operation
// name, which is what tells one POST /graphql from another.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Logger } from "./logger.js";
import type { NodeMiddleware } from "./middleware.js";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const NAMED_OPERATION = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

/** Express's request adds these; node's own has neither (POST /graphql, src/graphql/http.ts): its url is the whole path, its body set by the JSON parser. */
type LoggedRequest = IncomingMessage & { originalUrl?: string; body?: unknown };

export function requestLog(logger: Logger, graphqlPath: string): NodeMiddleware {
  return (req: LoggedRequest, res, next) => {
    const header = req.headers["x-request-id"];
    const given = Array.isArray(header) ? header[0] : header;
    const reqId = given && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader("x-request-id", reqId);
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      // Below LOG_LEVEL=info (production often runs at warn) the line is not written: nor is it built.
      if (!logger.isLevelEnabled("info")) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const url = req.originalUrl ?? req.url ?? "";
      logger.info(
        {
          reqId,
          method: req.method,
          url,
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
          operationName: url.startsWith(graphqlPath) ? operationName(req) : undefined,
        },
        "request",
      );
    });
    next();
  };
}

/** The body's operationName, else the name of the document's first operation (parsed by express.json before us). */
function operationName(req: LoggedRequest): string | undefined {
  const body = req.body as { operationName?: unknown; query?: unknown } | undefined;
  if (typeof body?.operationName === "string" && body.operationName) return body.operationName;
  if (typeof body?.query === "string") return NAMED_OPERATION.exec(body.query)?.[1];
  return undefined;
}
