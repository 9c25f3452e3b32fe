// Roles and what each may do, enforced in the services so GraphQL and REST share
// them. Which operation needs what is declared once, in operations.ts.
import { forbidden, unauthenticated } from "../shared/errors.js";
import type { Access, Operation } from "./operations.js";

export const ROLES = ["admin", "dev", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** The signed-in user as the services see it. */
export interface Actor {
  id: string;
  role: Role;
}

export type Permission =
  /** Read VMs, commands, jobs, logs, and oneself. */
  | "read"
  /** Write VMs, commands, job status, logs. */
  | "write"
  /** Read and manage every user. */
  | "manage-users";

const GRANTS: Record<Role, readonly Permission[]> = {
  viewer: ["read"],
  dev: ["read", "write"],
  admin: ["read", "write", "manage-users"],
};

export function can(actor: Actor | null | undefined, permission: Permission): boolean {
  return !!actor && GRANTS[actor.role].includes(permission);
}

/**
 * Throws UNAUTHENTICATED without an actor, FORBIDDEN without the permission:
 * an operation's declared access (OPERATIONS), or a permission a service
 * checks past it (an operation's othersNeed). Not for public operations.
 */
export function authorize(actor: Actor | null | undefined, required: Operation | Exclude<Access, "public">): asserts actor is Actor {
  const access = typeof required === "string" ? required : required.access;
  if (access === "public") throw new Error(`authorize: ${typeof required === "string" ? access : required.name} is public; there is nothing to check`);
  if (!actor) throw unauthenticated();
  if (access !== "signed-in" && !can(actor, access)) throw forbidden(`the ${actor.role} role may not ${access}`);
}

/** Roles that hold a permission. */
export function rolesWith(permission: Permission): Role[] {
  return ROLES.filter((role) => GRANTS[role].includes(permission));
}
