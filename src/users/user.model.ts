import type { Role } from "../auth/permissions.js";
import type { Command } from "../commands/command.model.js";

/** A user as services return it: never with its password hash. */
export interface User {
  id: string;
  email: string;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
}

/** Everything the server holds about one user (GDPR access request). */
export interface UserDataExport {
  user: User;
  /** Newest first. */
  commands: Command[];
  exportedAt: Date;
}

/** What sign-in returns. */
export interface AuthPayload {
  token: string;
  expiresAt: Date;
  user: User;
}
