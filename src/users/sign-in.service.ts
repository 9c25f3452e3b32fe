// Sign-in: a token for an email and password, throttled per attempt
// (src/users/sign-in-throttle.ts). Transport-neutral: the login mutation and
// POST /api/users/login call the same method with the client's IP.
import { randomBytes } from "node:crypto";
import { hashPassword, verifyPassword } from "../auth/password.js";
import type { TokenIssuer } from "../auth/token.js";
import { unauthenticated } from "../shared/errors.js";
import { parseInput } from "../shared/validation.js";
import type { SignInThrottle } from "./sign-in-throttle.js";
import type { AuthPayload } from "./user.model.js";
import type { UserRepository } from "./user.repository.js";
import { loginSchema, type LoginInput } from "./user.schema.js";

/** The one answer to a failed sign-in, whatever failed: no way to learn which emails exist. */
const WRONG_CREDENTIALS = "wrong email or password";

export interface SignInClient {
  /** Undefined when the transport cannot tell (counted together as "unknown"). */
  clientIp: string | undefined;
}

export class SignInService {
  /**
   * Unknown emails are verified against this hash, so a wrong email costs
   * the same argon2id work as a wrong password. Made once, up front, so the
   * first unknown email is not slower than the rest.
   */
  private readonly dummyHash: Promise<string>;

  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenIssuer,
    private readonly throttle: SignInThrottle,
  ) {
    this.dummyHash = hashPassword(randomBytes(24).toString("base64url"));
    this.dummyHash.catch(() => undefined);
  }

  /**
   * Wrong email and wrong password: the same UNAUTHENTICATED after the same
   * argon2id work. RATE_LIMITED (before any lookup) past the throttle's limits,
   * for known and unknown emails alike.
   */
  async login(input: LoginInput, client: SignInClient): Promise<AuthPayload> {
    const { email, password } = parseInput(loginSchema, input, "");
    const attempt = await this.throttle.begin({ email, clientIp: client.clientIp });
    const found = await this.users.findCredentials(email);
    const passwordOk = await verifyPassword(found?.passwordHash ?? (await this.dummyHash), password);
    if (!found || !passwordOk) {
      await attempt.failed();
      throw unauthenticated(WRONG_CREDENTIALS);
    }
    await attempt.succeeded();
    const { token, expiresAt } = await this.tokens.sign(found.user.id, found.user.role);
    return { token, expiresAt, user: found.user };
  }
}
