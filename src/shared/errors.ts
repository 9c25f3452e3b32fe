// The one error type services throw. Each transport maps `code` in one place:
// src/graphql/errors.ts to extensions.code, src/rest/errors.ts to HTTP statuses.
export const ErrorCode = {
  BAD_USER_INPUT: "BAD_USER_INPUT",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  /** Too many attempts (sign-in throttling); the error carries retryAfterSeconds. */
  RATE_LIMITED: "RATE_LIMITED",
  /** The request took longer than REQUEST_TIMEOUT_MS; it may still complete in the background. */
  TIMEOUT: "TIMEOUT",
  /** A store the operation needs is down (e.g. sign-in while PostgreSQL is). */
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface FieldProblem {
  /** Dotted path of the offending input field, e.g. "input.tags.owner". */
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly problems: FieldProblem[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AppError";
  }
}

/** RATE_LIMITED: GraphQL says `extensions.retryAfterSeconds`, REST 429 with `Retry-After`. */
export class RateLimitedError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(ErrorCode.RATE_LIMITED, message);
  }
}

export const badInput = (message: string, problems: FieldProblem[] = []) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, problems);
export const notFound = (what: string, id: string) => new AppError(ErrorCode.NOT_FOUND, `${what} ${id} not found`);
export const conflict = (message: string) => new AppError(ErrorCode.CONFLICT, message);
export const forbidden = (message = "not allowed") => new AppError(ErrorCode.FORBIDDEN, message);
export const unauthenticated = (message = "sign in first") => new AppError(ErrorCode.UNAUTHENTICATED, message);
