// The one mapping from service errors to REST responses:
// { "error": { "code": "NOT_FOUND", "message": "..." } } with the contract's statuses.
import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import { AppError, ErrorCode, type FieldProblem } from "../shared/errors";
import type { Logger } from "../infra/logger";

export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
};

export function sendError(res: Response, code: ErrorCode, message: string, problems: FieldProblem[] = []): void {
  res.status(HTTP_STATUS[code]).json({ error: { code, message, ...(problems.length ? { problems } : {}) } });
}

/** body-parser's own errors, by their `type`. */
function bodyParserError(error: { type?: string; status?: number }): [ErrorCode, string, number?] | undefined {
  switch (error.type) {
    case "entity.parse.failed":
      return [ErrorCode.BAD_USER_INPUT, "malformed JSON body"];
    case "entity.too.large":
      return [ErrorCode.PAYLOAD_TOO_LARGE, "request body too large"];
    case "encoding.unsupported":
    case "charset.unsupported":
      return [ErrorCode.BAD_USER_INPUT, "unsupported body encoding", 415];
    default:
      return undefined;
  }
}

export function createRestErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    if (error instanceof AppError) return sendError(res, error.code, error.message, error.problems);
    const parsed = bodyParserError(error);
    if (parsed) {
      const [code, message, status] = parsed;
      if (status) return void res.status(status).json({ error: { code, message } });
      return sendError(res, code, message);
    }
    logger.error({ err: error }, "request failed");
    sendError(res, ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error");
  };
}

export const notFoundHandler: RequestHandler = (req, res) =>
  sendError(res, ErrorCode.NOT_FOUND, `no route for ${req.method} ${req.path}`);
