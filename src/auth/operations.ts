// One permission declaration per operation. Everything that checks or shows
// who may call an operation derives from OPERATIONS: the service's check
// (authorize(actor, OPERATIONS.x)), the resolver's @Allowed (type-graphql's
// @Authorized), REST's early `auth:` (401/403 before the body is read), and
// the role line that opens the operation's description in the schema and in
// the OpenAPI document. tests/permissions.test.ts holds GraphQL and REST to it.
import { ROLES, rolesWith, type Permission, type Role } from "./permissions.js";

/** "public": anyone, signed in or not; "signed-in": any valid token; a Permission: the roles holding it. */
export type Access = "public" | "signed-in" | Permission;

export interface Operation {
  /** GraphQL's field (Query/Mutation field name, or Type.field for a nested list); REST's operationId for a REST-only one. */
  readonly name: string;
  readonly access: Access;
  /** REST's operationId for the same operation, when REST has one. */
  readonly rest?: string;
  /** Acting on another user needs this permission; on oneself, `access` suffices (the service checks which). */
  readonly othersNeed?: Permission;
  /** GraphQL answers an anonymous caller with null instead of UNAUTHENTICATED (the contract's Query.me). */
  readonly anonymousGetsNull?: true;
  /** Words the role line adds after "or the user itself". */
  readonly note?: string;
}

type Declared = Omit<Operation, "name">;

function declare<const T extends Record<string, Declared>>(operations: T): { readonly [K in keyof T]: Operation } {
  return Object.fromEntries(Object.entries(operations).map(([name, op]) => [name, { name, ...op }])) as { readonly [K in keyof T]: Operation };
}

export const OPERATIONS = declare({
  vm: { access: "read", rest: "getVm" },
  vms: { access: "read", rest: "listVms" },
  createVm: { access: "write", rest: "createVm" },
  updateVm: { access: "write", rest: "updateVm" },
  deleteVm: { access: "write", rest: "deleteVm" },
  "Vm.jobs": { access: "read", rest: "listVmJobs" },
  "Vm.commands": { access: "read", rest: "listVmCommands" },
  command: { access: "read", rest: "getCommand" },
  listCommands: { access: "read", rest: "listCommands" }, // REST only: GraphQL lists a VM's commands as Vm.commands
  sendCommand: { access: "write", rest: "sendCommand" },
  "Command.jobs": { access: "read" },
  job: { access: "read", rest: "getJob" },
  jobs: { access: "read", rest: "listJobs" },
  setJobStatus: { access: "write", rest: "setJobStatus" },
  logs: { access: "read", rest: "listLogs" },
  "Job.logs": { access: "read" },
  appendJobLogs: { access: "write", rest: "appendLogs" },
  jobLogTail: { access: "read", rest: "streamLogs" },
  jobChanged: { access: "read" },
  "Job.searchLogs": { access: "read", rest: "searchJobLogs" },
  searchLogs: { access: "read", rest: "searchLogs" },
  login: { access: "public", rest: "login" },
  me: { access: "signed-in", rest: "me", anonymousGetsNull: true },
  myData: { access: "signed-in", rest: "exportMyData" },
  user: { access: "signed-in", rest: "getUser", othersNeed: "manage-users", note: "(FORBIDDEN for anyone else)" },
  users: { access: "manage-users", rest: "listUsers" },
  createUser: { access: "manage-users", rest: "createUser" },
  updateUser: { access: "signed-in", rest: "updateUser", othersNeed: "manage-users", note: "for email and password (not role)" },
  deleteUser: { access: "manage-users", rest: "deleteUser" },
});

export type OperationName = keyof typeof OPERATIONS;

/** The roles that pass an access level's check (every role for "public" and "signed-in"). */
export function rolesFor(access: Access): Role[] {
  return access === "public" || access === "signed-in" ? [...ROLES] : rolesWith(access);
}

/** Whether every role passes: then the check is only "signed in", and FORBIDDEN cannot come from it. */
export const anyRole = (access: Access) => rolesFor(access).length === ROLES.length;

const roleNames = (roles: readonly Role[]) => {
  const names = roles.map((role) => role.toUpperCase());
  return names.length === 1 ? `${names[0]} only` : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
};

/** The sentence that says who may call an operation, opening its description. */
export function roleLine(op: Pick<Operation, "access" | "othersNeed" | "anonymousGetsNull" | "note">): string {
  if (op.access === "public") return "Anyone.";
  if (op.othersNeed) return `${roleNames(rolesWith(op.othersNeed)).replace(/ only$/, "")}, or the user itself${op.note ? ` ${op.note}` : ""}.`;
  if (anyRole(op.access)) return op.anonymousGetsNull ? "Anyone; null when not signed in." : "Any signed-in user.";
  return `${roleNames(rolesFor(op.access))}.`;
}

/** An operation's description: its role line, then what it does. */
export function describeOperation(op: Operation, text?: string): string {
  return text ? `${roleLine(op)} ${text}` : roleLine(op);
}
