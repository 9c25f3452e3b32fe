// Test data factories: buildX(overrides) for plain objects, createX for stored ones.
import { randomBytes } from "node:crypto";
import { hashPassword } from "../../src/auth/password";
import type { Role } from "../../src/auth/permissions";
import type { User } from "../../src/users/user.model";
import { CreateVmDocument, SendCommandDocument } from "../generated/graphql";
import type { TestServer } from "./test-server";

export const TEST_PASSWORD = "correct horse battery staple";

export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${randomBytes(4).toString("hex")}@example.com`;
}

/** A stored user and a token for it. */
export async function createUserWithToken(
  t: TestServer,
  role: Role,
  overrides: { email?: string; password?: string } = {},
): Promise<{ user: User; token: string }> {
  const user = await t.server.container.repositories.users.create({
    email: (overrides.email ?? uniqueEmail(role)).toLowerCase(),
    passwordHash: await hashPassword(overrides.password ?? TEST_PASSWORD),
    role,
  });
  const { token } = await t.server.container.tokens.sign(user.id, user.role);
  return { user, token };
}

/** One user and token per role (created dev, admin, viewer, in that order): the usual cast of a test file. */
export async function createRoleTokens(t: TestServer): Promise<{ dev: string; admin: string; viewer: string; devId: string }> {
  const dev = await createUserWithToken(t, "dev");
  const admin = await createUserWithToken(t, "admin");
  const viewer = await createUserWithToken(t, "viewer");
  return { dev: dev.token, admin: admin.token, viewer: viewer.token, devId: dev.user.id };
}

export function buildVmInput(overrides: Partial<{ id: string; name: string; environment: string; tags: Record<string, unknown> }> = {}) {
  return {
    name: `vm-${randomBytes(3).toString("hex")}`,
    environment: "staging",
    tags: { team: "core" },
    ...overrides,
  };
}

/** A stored VM, created through the API. */
export async function createVm(t: TestServer, token: string, overrides: Parameters<typeof buildVmInput>[0] = {}) {
  const result = await t.gql(CreateVmDocument, { input: buildVmInput(overrides) }, { token });
  if (!result.data) throw new Error(`createVm failed: ${JSON.stringify(result.errors)}`);
  return result.data.createVm;
}

/** A command sent through the API, with its RUNNING job. */
/** `count` STDOUT lines "line 0", "line 1", … as appendJobLogs takes them. */
export function stdoutLines(count: number) {
  return Array.from({ length: count }, (_, i) => ({ stream: "STDOUT" as const, data: `line ${i}` }));
}

export async function sendCommand(t: TestServer, token: string, vmId: string, command = "uptime") {
  const result = await t.gql(SendCommandDocument, { input: { vmId, command } }, { token });
  if (!result.data) throw new Error(`sendCommand failed: ${JSON.stringify(result.errors)}`);
  return result.data.sendCommand;
}
