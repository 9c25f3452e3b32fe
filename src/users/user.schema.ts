// Input rules for users, shared by the GraphQL and REST transports.
import { z } from "zod";
import { ROLES } from "../auth/permissions.js";

export const USER_LIMITS = { emailLength: 254, passwordMin: 10, passwordMax: 256 };

/** Stored lower-cased, so Ann@x.io and ann@x.io are one account. */
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(USER_LIMITS.emailLength, `must be at most ${USER_LIMITS.emailLength} characters`)
  .pipe(z.email({ error: "must be an email address" }));

// Counted in characters (code points), not UTF-16 units, as users count them.
export const passwordSchema = z
  .string()
  .refine((p) => [...p].length >= USER_LIMITS.passwordMin, `must be at least ${USER_LIMITS.passwordMin} characters`)
  .refine((p) => [...p].length <= USER_LIMITS.passwordMax, `must be at most ${USER_LIMITS.passwordMax} characters`);

export const roleSchema = z.enum(ROLES, { error: `must be one of ${ROLES.join(", ")}` });

export const createUserSchema = z.object({ email: emailSchema, password: passwordSchema, role: roleSchema });
export type CreateUserInput = z.input<typeof createUserSchema>;

export const updateUserSchema = z
  .object({ email: emailSchema.nullish(), password: passwordSchema.nullish(), role: roleSchema.nullish() })
  .refine((v) => v.email != null || v.password != null || v.role != null, "email, password or role must be given");
export type UpdateUserInput = z.input<typeof updateUserSchema>;

/**
 * Login takes any strings: a malformed email is just an unknown account (the
 * same UNAUTHENTICATED), but an absurdly long password is refused before it
 * is hashed.
 */
export const loginSchema = z.object({
  email: z.string().trim().toLowerCase().max(USER_LIMITS.emailLength * 4),
  password: z.string().max(USER_LIMITS.passwordMax * 4),
});
export type LoginInput = z.input<typeof loginSchema>;
