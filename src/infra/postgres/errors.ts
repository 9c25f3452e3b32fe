// Recognises the Prisma (driver adapter) errors that mean "PostgreSQL cannot be
// reached right now", as opposed to a bad query or a constraint violation.
// Callers turn these into SERVICE_UNAVAILABLE or fall back to DynamoDB.

/** Prisma codes for an unreachable or overloaded server (P1xxx connection, P2024 pool timeout). */
const UNAVAILABLE_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);

/** @prisma/adapter-pg's DriverAdapterError kinds for the same. */
const UNAVAILABLE_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "TlsConnectionError",
]);

/** The socket's errors, as node-postgres passes them on from queryPrepared() (Prisma's adapter wraps them as the kinds above). */
const UNAVAILABLE_SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/** pg's own messages, when its pool gives up before a socket error exists. */
const UNAVAILABLE_MESSAGES = [/timeout exceeded when trying to connect/i, /connection terminated/i, /can't reach database server/i];

type Inspectable = {
  code?: unknown;
  message?: unknown;
  meta?: { driverAdapterError?: Inspectable };
  cause?: unknown;
  kind?: unknown;
  /** Set on node-postgres's DatabaseError (an error the server sent). */
  severity?: unknown;
};

/** The error and what it wraps: Prisma wraps the adapter's error, which wraps pg's. */
function* causeChain(error: unknown): Generator<Inspectable> {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const e = current as Inspectable;
    yield e;
    current = e.meta?.driverAdapterError ?? e.cause;
  }
}

export function isPostgresUnavailable(error: unknown): boolean {
  for (const e of causeChain(error)) {
    if (typeof e.code === "string" && UNAVAILABLE_CODES.has(e.code)) return true;
    if (typeof e.kind === "string" && UNAVAILABLE_KINDS.has(e.kind)) return true;
    // Server-side: class 08 (connection exception) and 57P (operator intervention: shutdown, starting up),
    // as the adapter wraps them or as node-postgres gives them.
    if ((e.kind === "postgres" || typeof e.severity === "string") && typeof e.code === "string" && /^(08|57P)/.test(e.code)) return true;
    if (typeof e.code === "string" && UNAVAILABLE_SOCKET_CODES.has(e.code)) return true;
    if (typeof e.message === "string" && UNAVAILABLE_MESSAGES.some((re) => re.test(e.message as string))) return true;
  }
  return false;
}

/** A unique constraint violation (Prisma P2002, or the adapter's kind on raw queries). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as Inspectable | null;
  if (!e || typeof e !== "object") return false;
  if (e.code === "P2002") return true;
  const cause = e.meta?.driverAdapterError?.cause as Inspectable | undefined;
  return cause?.kind === "UniqueConstraintViolation";
}

/** PostgreSQL cancelled the statement (57014: statement_timeout, or a cancel request). */
export function isStatementTimeout(error: unknown): boolean {
  for (const e of causeChain(error)) {
    if (e.code === "57014") return true;
    if (typeof e.message === "string" && /canceling statement due to statement timeout/.test(e.message)) return true;
  }
  return false;
}
