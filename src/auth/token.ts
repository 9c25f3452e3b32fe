// Bearer tokens: HS256 JWTs through `jose` (maintained, dependency-free, typed).
// The role rides along but is not trusted: it is read from PostgreSQL on every
// request, so a role change or an erasure takes effect at once. Only while
// PostgreSQL is unreachable does resolveActor fall back to the signed claims.
import { randomBytes } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";

export interface TokenIssuer {
  sign(userId: string, role: string): Promise<{ token: string; expiresAt: Date }>;
  /** The signed claims of a valid token (user id and the role it was issued with); null for an expired, forged or malformed one. */
  claims(token: string): Promise<TokenClaims | null>;
}

export interface TokenClaims {
  userId: string;
  role: unknown;
}

const ISSUER = "vm-orchestrator";

export function createTokenIssuer(secret: string | undefined, ttlHours: number): TokenIssuer {
  // Outside production an unset secret is random per process: tokens die with it.
  const key = secret ? new TextEncoder().encode(secret) : randomBytes(32);
  async function claims(token: string): Promise<TokenClaims | null> {
    try {
      const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ["HS256"] });
      return typeof payload.sub === "string" ? { userId: payload.sub, role: payload.role } : null;
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
      throw error;
    }
  }
  return {
    async sign(userId, role) {
      const expiresAt = new Date(Date.now() + ttlHours * 3_600_000);
      const token = await new SignJWT({ role })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key);
      return { token, expiresAt };
    },
    claims,
  };
}

/** The token in an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}
