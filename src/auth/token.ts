// Bearer tokens: HS256 JWTs through `jose` (maintained, dependency-free, typed).
// The role rides along but is not trusted: it is read from PostgreSQL on every
// request, so a role change or an erasure takes effect at once. Only while
// PostgreSQL is unreachable does resolveActor fall back to the signed claims.
//
// A verified token's claims are kept (lru-cache, already Apollo's) until the
// token's own `exp`: the signature of the same token string is checked once
// per process, not on every request (jose through WebCrypto was ~5% of an S1
// request's CPU). Only what verification proved is kept: the claims are the
// token's, fixed by its signature, and authorisation still reads the user row
// on every request, so an erased user's or a demoted admin's token dies at
// once. Tokens that fail are not kept (a flood of forged ones cannot evict the
// good ones by being remembered).
import { randomBytes } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";
import { LRUCache } from "lru-cache";

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

/** Verified tokens kept per process: a few thousand active sessions, a few hundred bytes each. */
const VERIFIED_TOKENS_MAX = 10_000;

export function createTokenIssuer(secret: string | undefined, ttlHours: number): TokenIssuer {
  // Outside production an unset secret is random per process: tokens die with it.
  const key = secret ? new TextEncoder().encode(secret) : randomBytes(32);
  // No TTL of its own: each entry lives until its token's exp (set per entry below), checked on every get.
  const verified = new LRUCache<string, TokenClaims>({ max: VERIFIED_TOKENS_MAX, ttlAutopurge: false });
  async function claims(token: string): Promise<TokenClaims | null> {
    const known = verified.get(token);
    if (known) return known;
    try {
      const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ["HS256"] });
      if (typeof payload.sub !== "string") return null;
      const found: TokenClaims = { userId: payload.sub, role: payload.role };
      // jwtVerify refuses an expired token; one without exp (never one of ours) is verified each time, not kept.
      const ttl = typeof payload.exp === "number" ? payload.exp * 1000 - Date.now() : 0;
      if (ttl > 0) verified.set(token, found, { ttl });
      return found;
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
