import type { Role } from "../auth/permissions";

/** A user as services return it: never with its password hash. */
export interface User {
  id: string;
  email: string;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
}
