// Roles and what each may do, enforced in the services so GraphQL and REST share
// them; GraphQL also declares them on the schema with @Authorized.
import { forbidden, unauthenticated } from "../shared/errors.js";

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

/** Throws UNAUTHENTICATED without an actor, FORBIDDEN without the permission. */
export function authorize(actor: Actor | null | undefined, permission: Permission): asserts actor is Actor {
  if (!actor) throw unauthenticated();
  if (!can(actor, permission)) throw forbidden(`the ${actor.role} role may not ${permission}`);
}

/** Roles that hold a permission, for @Authorized declarations on the schema. */
export function rolesWith(permission: Permission): Role[] {
  return ROLES.filter((role) => GRANTS[role].includes(permission));
}
