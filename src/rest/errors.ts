// The one mapping from service errors to REST responses:
// { "error": { "code": "NOT_FOUND", "message": "..." } } with the contract's statuses.
import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import { z } from "zod";
import { AppError, ErrorCode, RateLimitedError, type FieldProblem } from "../shared/errors.js";
import type { Logger } from "../infra/logger.js";

export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  TIMEOUT: 503,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
};

/** The error body, as documented in /api/openapi.json. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      problems: z
        .array(z.object({ path: z.string(), message: z.string() }))
        .optional()
        .meta({ description: "One entry per offending field of a BAD_USER_INPUT." }),
    }),
  })
  .meta({ id: "Error" });

/**
 * A REST-only status for a code: 415 keeps the code BAD_USER_INPUT (the GraphQL
 * API has no media-type code, and clients branch on codes), only the status says more.
 */
class RestStatusError extends AppError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

export const unsupportedMediaType = (message: string) => new RestStatusError(415, ErrorCode.BAD_USER_INPUT, message);

export function sendError(
  res: Response,
  code: ErrorCode,
  message: string,
  problems: FieldProblem[] = [],
  status = HTTP_STATUS[code],
): void {
  res.status(status).json({ error: { code, message, ...(problems.length ? { problems } : {}) } });
}

/** body-parser's own errors, by their `type` (the GraphQL endpoint answers them in its own shape: src/graphql/http.ts). */
export function bodyParserError(error: { type?: string }): AppError | undefined {
  switch (error.type) {
    case "entity.parse.failed":
      return new AppError(ErrorCode.BAD_USER_INPUT, "malformed JSON body");
    case "entity.too.large":
      return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, "request body too large");
    case "encoding.unsupported":
    case "charset.unsupported":
      return unsupportedMediaType("unsupported body encoding");
    default:
      return undefined;
  }
}

export function createRestErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    // A handler answering after its deadline (src/infra/response-deadline.ts): the client already has TIMEOUT.
    if (res.headersSent) {
      logger.debug({ err: error }, "late response dropped");
      return;
    }
    const known = error instanceof AppError ? error : bodyParserError(error);
    if (known) {
      const status = known instanceof RestStatusError ? known.status : undefined;
      if (known instanceof RateLimitedError) res.set("Retry-After", String(known.retryAfterSeconds));
      return sendError(res, known.code, known.message, known.problems, status);
    }
    logger.error({ err: error }, "request failed");
    sendError(res, ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error");
  };
}

export const notFoundHandler: RequestHandler = (req, res) =>
  sendError(res, ErrorCode.NOT_FOUND, `no route for ${req.method} ${req.path}`);
