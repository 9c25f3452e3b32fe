// Password hashing with argon2id through @node-rs/argon2: maintained, prebuilt
// for this platform (no node-gyp), and argon2id by default.
import { hash, verify } from "@node-rs/argon2";

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password).catch(() => false);
}
