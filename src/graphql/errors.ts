// The one mapping from service errors to GraphQL errors.
import { unwrapResolverError } from "@apollo/server/errors";
import type { ServerResponse } from "node:http";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { AppError, ErrorCode, RateLimitedError } from "../shared/errors.js";
import type { Logger } from "../infra/logger.js";
import { sendJson } from "../infra/middleware.js";

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  SERVICE_UNAVAILABLE: 503,
  TIMEOUT: 503,
};

/** A GraphQL error answer written before Apollo sees the request (its body, trusted documents, the response deadline). */
export function sendGraphQLError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

/** For errors thrown outside resolvers (the context factory). */
export function toGraphQLError(error: unknown, logger: Logger): GraphQLError {
  if (error instanceof AppError) {
    const status = HTTP_STATUS[error.code];
    return new GraphQLError(error.message, {
      extensions: { code: error.code, ...(status ? { http: { status } } : {}) },
    });
  }
  logger.error({ err: error }, "request failed");
  return new GraphQLError("Internal server error", {
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, http: { status: 500 } },
  });
}

/** graphql-js's suggestions ("Did you mean …?"), in validation and variable coercion messages alike. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

export function createFormatError(logger: Logger, options: { hideSuggestions?: boolean } = {}) {
  const format = createFormatter(logger);
  if (!options.hideSuggestions) return format;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = format(formatted, error);
    return { ...result, message: result.message.replace(SUGGESTION, "") };
  };
}

function createFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof AppError) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: {
          code: original.code,
          ...(original.problems.length ? { problems: original.problems } : {}),
          ...(original instanceof RateLimitedError ? { retryAfterSeconds: original.retryAfterSeconds } : {}),
        },
      };
    }
    // Errors graphql-js or Apollo raised themselves (parse, validation, variable
    // coercion) already carry a code and a safe message.
    if (formatted.extensions?.code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: original, path: formatted.path }, "unexpected error in a resolver");
    return {
      message: "Internal server error",
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
