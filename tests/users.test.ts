// Users, sign-in, roles and GDPR over real PostgreSQL and DynamoDB Local.
import { randomUUID } from "node:crypto";
import { PutCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenIssuer } from "../src/auth/token";
import type { Role } from "../src/auth/permissions";
import { toCommandItem } from "../src/commands/command.repository";
import {
  CreateUserDocument,
  CreateVmDocument,
  DeleteUserDocument,
  LoginDocument,
  MeDocument,
  MyDataDocument,
  UpdateUserDocument,
  UserDocument,
  UsersDocument,
  VmsDocument,
  type UsersQuery,
  type UsersQueryVariables,
} from "./generated/graphql";
import { buildVmInput, createUserWithToken, TEST_PASSWORD, uniqueEmail } from "./support/factories";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
const tokens: Record<Role, string> = { admin: "", dev: "", viewer: "" };
const ids: Record<Role, string> = { admin: "", dev: "", viewer: "" };
const ROLES: Role[] = ["admin", "dev", "viewer"];

beforeAll(async () => {
  t = await startTestServer();
  for (const role of ROLES) {
    const { user, token } = await createUserWithToken(t, role);
    tokens[role] = token;
    ids[role] = user.id;
  }
});
afterAll(() => t?.close());

const code = (result: { errors?: Array<{ extensions?: { code?: string } }> }) => result.errors?.[0]?.extensions?.code;
const userCount = () => t.stores.prisma.user.count();
/** The whole stored row, hash and timestamps included, to prove nothing changed. */
const storedRow = (id: string) => t.stores.prisma.user.findUnique({ where: { id } });

async function createUser(role: Role = "viewer") {
  return createUserWithToken(t, role);
}

async function putCommand(issuedBy: string | null, createdAt: Date, vmId = "vm-gdpr") {
  const command = { id: randomUUID(), vmId, command: `echo ${randomUUID()}`, issuedBy, createdAt };
  await t.stores.dynamo.doc.send(new PutCommand({ TableName: t.stores.tables.commands, Item: toCommandItem(command) }));
  return command;
}

describe("login", () => {
  it("returns a token that works as Authorization: Bearer, and the user without its hash", async () => {
    const email = uniqueEmail("login");
    await createUserWithToken(t, "dev", { email });
    const res = await fetch(`${t.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: "mutation($e: EmailAddress!, $p: String!) { login(email: $e, password: $p) { token expiresAt user { id email role } } }",
        variables: { e: email, p: TEST_PASSWORD },
      }),
    });
    const text = await res.text();
    expect(text).not.toMatch(/argon2|passwordHash|password_hash/);
    const login = JSON.parse(text).data.login;
    expect(login.user).toMatchObject({ email, role: "DEV" });
    const hours = (Date.parse(login.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(11.9);
    expect(hours).toBeLessThanOrEqual(12);
    const me = await t.gql(MeDocument, undefined, { token: login.token });
    expect(me.data!.me!.id).toBe(login.user.id);
  });

  it("is case-insensitive on the email (stored lower-cased)", async () => {
    const email = uniqueEmail("Case").replace("case", "CaSe");
    const created = await t.gql(CreateUserDocument, { input: { email, password: TEST_PASSWORD, role: "VIEWER" } }, { token: tokens.admin });
    expect(created.data!.createUser.email).toBe(email.toLowerCase());
    const login = await t.gql(LoginDocument, { email: email.toUpperCase(), password: TEST_PASSWORD });
    expect(login.errors).toBeUndefined();
    expect(login.data!.login.user.email).toBe(email.toLowerCase());
  });

  it("gives the same UNAUTHENTICATED error for a wrong password and an unknown email", async () => {
    const email = uniqueEmail("wrong");
    await createUserWithToken(t, "viewer", { email });
    const wrongPassword = await t.gql(LoginDocument, { email, password: "not the password" });
    const unknownEmail = await t.gql(LoginDocument, { email: uniqueEmail("nobody"), password: TEST_PASSWORD });
    expect(code(wrongPassword)).toBe("UNAUTHENTICATED");
    expect(code(unknownEmail)).toBe("UNAUTHENTICATED");
    expect(wrongPassword.errors![0]!.message).toBe(unknownEmail.errors![0]!.message);
    expect(wrongPassword.data).toBeNull();
  });
});

describe("each role against each user operation", () => {
  type Outcome = "ok" | "FORBIDDEN" | "UNAUTHENTICATED";
  const as = (role: Role | "anonymous") => (role === "anonymous" ? undefined : tokens[role]);
  const outcome = (result: { errors?: Array<{ extensions?: { code?: string } }> }): Outcome | string =>
    result.errors ? code(result)! : "ok";

  const matrix: Array<[string, Record<Role | "anonymous", Outcome>, (token?: string) => Promise<{ errors?: any }>]> = [
    ["me", { admin: "ok", dev: "ok", viewer: "ok", anonymous: "ok" }, (token) => t.gql(MeDocument, undefined, { token })],
    ["myData", { admin: "ok", dev: "ok", viewer: "ok", anonymous: "UNAUTHENTICATED" }, (token) => t.gql(MyDataDocument, undefined, { token })],
    ["users", { admin: "ok", dev: "FORBIDDEN", viewer: "FORBIDDEN", anonymous: "UNAUTHENTICATED" }, (token) => t.gql(UsersDocument, { first: 5 }, { token })],
    ["user(someone else)", { admin: "ok", dev: "FORBIDDEN", viewer: "FORBIDDEN", anonymous: "UNAUTHENTICATED" }, async (token) => {
      const other = await createUser();
      return t.gql(UserDocument, { id: other.user.id }, { token });
    }],
    ["vms (read)", { admin: "ok", dev: "ok", viewer: "ok", anonymous: "UNAUTHENTICATED" }, (token) => t.gql(VmsDocument, { first: 5 }, { token })],
    ["createVm (write)", { admin: "ok", dev: "ok", viewer: "FORBIDDEN", anonymous: "UNAUTHENTICATED" }, (token) => t.gql(CreateVmDocument, { input: buildVmInput() }, { token })],
  ];
  for (const [operation, expected, run] of matrix) {
    for (const role of ["admin", "dev", "viewer", "anonymous"] as const) {
      it(`${role} → ${operation}: ${expected[role]}`, async () => {
        expect(outcome(await run(as(role)))).toBe(expected[role]);
      });
    }
  }

  it("me is null without a token, and the signed-in user with one", async () => {
    expect((await t.gql(MeDocument)).data!.me).toBeNull();
    for (const role of ROLES) {
      const me = await t.gql(MeDocument, undefined, { token: tokens[role] });
      expect(me.data!.me).toMatchObject({ id: ids[role], role: role.toUpperCase() });
    }
  });

  it("user(id) answers every role about itself", async () => {
    for (const role of ROLES) {
      const self = await t.gql(UserDocument, { id: ids[role] }, { token: tokens[role] });
      expect(self.errors).toBeUndefined();
      expect(self.data!.user!.id).toBe(ids[role]);
    }
  });

  it("user(id) is null for an unknown or malformed id (admin)", async () => {
    for (const id of [randomUUID(), "not-a-uuid"]) {
      const result = await t.gql(UserDocument, { id }, { token: tokens.admin });
      expect(result.errors).toBeUndefined();
      expect(result.data!.user).toBeNull();
    }
  });

  it.each(["dev", "viewer"] as const)("%s: createUser → FORBIDDEN, nothing stored", async (role) => {
    const before = await userCount();
    const email = uniqueEmail("forbidden");
    const result = await t.gql(CreateUserDocument, { input: { email, password: TEST_PASSWORD, role: "ADMIN" } }, { token: tokens[role] });
    expect(code(result)).toBe("FORBIDDEN");
    expect(await userCount()).toBe(before);
    expect(await t.stores.prisma.user.findUnique({ where: { email } })).toBeNull();
  });

  it("no token: createUser → UNAUTHENTICATED, nothing stored", async () => {
    const before = await userCount();
    const result = await t.gql(CreateUserDocument, { input: { email: uniqueEmail(), password: TEST_PASSWORD, role: "VIEWER" } });
    expect(code(result)).toBe("UNAUTHENTICATED");
    expect(await userCount()).toBe(before);
  });

  it.each(["dev", "viewer"] as const)("%s: updateUser of someone else → FORBIDDEN, nothing changed", async (role) => {
    const other = await createUser();
    const before = await storedRow(other.user.id);
    for (const input of [{ email: uniqueEmail() }, { password: "another long password" }, { role: "ADMIN" as const }]) {
      const result = await t.gql(UpdateUserDocument, { id: other.user.id, input }, { token: tokens[role] });
      expect(code(result)).toBe("FORBIDDEN");
    }
    expect(await storedRow(other.user.id)).toEqual(before);
  });

  it.each(["dev", "viewer"] as const)("%s: changing its own role → FORBIDDEN, nothing changed", async (role) => {
    const self = await createUser(role);
    const before = await storedRow(self.user.id);
    for (const target of ["ADMIN", "DEV", "VIEWER"] as const) {
      const result = await t.gql(UpdateUserDocument, { id: self.user.id, input: { role: target } }, { token: self.token });
      expect(code(result)).toBe("FORBIDDEN");
    }
    expect(await storedRow(self.user.id)).toEqual(before);
  });

  it.each(["dev", "viewer"] as const)("%s: deleteUser → FORBIDDEN, nothing changed", async (role) => {
    const other = await createUser();
    const before = await userCount();
    const result = await t.gql(DeleteUserDocument, { id: other.user.id }, { token: tokens[role] });
    expect(code(result)).toBe("FORBIDDEN");
    expect(await userCount()).toBe(before);
    expect(await storedRow(other.user.id)).not.toBeNull();
  });
});

describe("createUser", () => {
  it("stores a hashed password (argon2id), a lower-cased email, and equal timestamps", async () => {
    const email = uniqueEmail("New");
    const result = await t.gql(CreateUserDocument, { input: { email, password: "ten chars!", role: "DEV" } }, { token: tokens.admin });
    expect(result.errors).toBeUndefined();
    const user = result.data!.createUser;
    expect(user).toMatchObject({ email: email.toLowerCase(), role: "DEV" });
    expect(user.createdAt).toBe(user.updatedAt);
    const row = await storedRow(user.id);
    expect(row!.passwordHash).toMatch(/^\$argon2id\$/);
    expect(row!.passwordHash).not.toContain("ten chars!");
    const login = await t.gql(LoginDocument, { email, password: "ten chars!" });
    expect(login.data!.login.user.id).toBe(user.id);
  });

  it("accepts a 256-character password", async () => {
    const password = "p".repeat(256);
    const result = await t.gql(CreateUserDocument, { input: { email: uniqueEmail(), password, role: "VIEWER" } }, { token: tokens.admin });
    expect(result.errors).toBeUndefined();
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ["malformed email", { email: "not-an-email" }],
    ["email without a domain", { email: "ann@" }],
    ["password of 9 characters", { password: "123456789" }],
    ["password of 257 characters", { password: "x".repeat(257) }],
    ["unknown role", { role: "ROOT" }],
  ];
  it.each(bad)("%s → BAD_USER_INPUT, nothing stored", async (_label, override) => {
    const before = await userCount();
    const input = { email: uniqueEmail("bad"), password: TEST_PASSWORD, role: "VIEWER", ...override };
    const result = await t.gql(CreateUserDocument, { input: input as never }, { token: tokens.admin });
    expect(code(result)).toBe("BAD_USER_INPUT");
    expect(await userCount()).toBe(before);
  });

  // The transport-neutral service (REST calls it too) applies the same rules itself.
  const badForService: Array<[string, Record<string, unknown>]> = [
    ...bad,
    ["password of 9 characters with an emoji", { password: "12345678🙂" }],
    ["role in upper case", { role: "ADMIN" }],
  ];
  it.each(badForService)("service: %s → BAD_USER_INPUT, nothing stored", async (_label, override) => {
    const before = await userCount();
    const input = { email: uniqueEmail("svc"), password: TEST_PASSWORD, role: "viewer", ...override };
    const admin = { id: ids.admin, role: "admin" as const };
    await expect(t.server.container.services.users.create(admin, input as never)).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    expect(await userCount()).toBe(before);
  });

  it("a duplicate email in any case → CONFLICT, nothing stored", async () => {
    const email = uniqueEmail("dup");
    await t.gql(CreateUserDocument, { input: { email, password: TEST_PASSWORD, role: "VIEWER" } }, { token: tokens.admin });
    const before = await userCount();
    for (const variant of [email, email.toUpperCase(), email.replace(/^./, (c) => c.toUpperCase())]) {
      const again = await t.gql(CreateUserDocument, { input: { email: variant, password: TEST_PASSWORD, role: "ADMIN" } }, { token: tokens.admin });
      expect(code(again)).toBe("CONFLICT");
    }
    expect(await userCount()).toBe(before);
  });

  it("concurrent creates of one email: one wins, the rest are CONFLICT", async () => {
    const email = uniqueEmail("race");
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        t.gql(CreateUserDocument, { input: { email: i % 2 ? email.toUpperCase() : email, password: TEST_PASSWORD, role: "VIEWER" } }, { token: tokens.admin }),
      ),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => code(r) === "CONFLICT")).toHaveLength(3);
    expect(await t.stores.prisma.user.count({ where: { email } })).toBe(1);
  });
});

describe("updateUser", () => {
  it("lets a user change its own email and password, and bumps updatedAt", async () => {
    const self = await createUser("viewer");
    const before = await storedRow(self.user.id);
    await new Promise((r) => setTimeout(r, 5));
    const email = uniqueEmail("Renamed");
    const result = await t.gql(UpdateUserDocument, { id: self.user.id, input: { email, password: "a brand new password" } }, { token: self.token });
    expect(result.errors).toBeUndefined();
    const updated = result.data!.updateUser;
    expect(updated.email).toBe(email.toLowerCase());
    expect(updated.createdAt).toBe(before!.createdAt.toISOString());
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(before!.updatedAt.getTime());
    const after = await storedRow(self.user.id);
    expect(after!.passwordHash).not.toBe(before!.passwordHash);
    expect(code(await t.gql(LoginDocument, { email, password: TEST_PASSWORD }))).toBe("UNAUTHENTICATED");
    expect((await t.gql(LoginDocument, { email, password: "a brand new password" })).errors).toBeUndefined();
  });

  it("lets an admin change anyone's role, bumping updatedAt each time", async () => {
    const other = await createUser("viewer");
    let last = (await storedRow(other.user.id))!.updatedAt.getTime();
    for (const role of ["DEV", "ADMIN", "VIEWER"] as const) {
      await new Promise((r) => setTimeout(r, 5));
      const result = await t.gql(UpdateUserDocument, { id: other.user.id, input: { role } }, { token: tokens.admin });
      expect(result.data!.updateUser.role).toBe(role);
      const now = Date.parse(result.data!.updateUser.updatedAt);
      expect(now).toBeGreaterThan(last);
      last = now;
    }
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ["malformed email", { email: "nope" }],
    ["password of 9 characters", { password: "123456789" }],
    ["password of 257 characters", { password: "x".repeat(257) }],
    ["unknown role", { role: "ROOT" }],
    ["no field at all", {}],
  ];
  it.each(bad)("%s → BAD_USER_INPUT, nothing changed", async (_label, input) => {
    const other = await createUser("viewer");
    const before = await storedRow(other.user.id);
    const result = await t.gql(UpdateUserDocument, { id: other.user.id, input: input as never }, { token: tokens.admin });
    expect(code(result)).toBe("BAD_USER_INPUT");
    expect(await storedRow(other.user.id)).toEqual(before);
  });

  it("another user's email in any case → CONFLICT, nothing changed", async () => {
    const taken = await createUser("viewer");
    const self = await createUser("dev");
    const before = await storedRow(self.user.id);
    const result = await t.gql(UpdateUserDocument, { id: self.user.id, input: { email: taken.user.email.toUpperCase() } }, { token: self.token });
    expect(code(result)).toBe("CONFLICT");
    expect(await storedRow(self.user.id)).toEqual(before);
  });

  it("an unknown id → NOT_FOUND for an admin", async () => {
    const result = await t.gql(UpdateUserDocument, { id: randomUUID(), input: { role: "DEV" } }, { token: tokens.admin });
    expect(code(result)).toBe("NOT_FOUND");
  });
});

describe("users", () => {
  it("walks every user in creation order, page by page, without repeats", async () => {
    const total = await userCount();
    const seen: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const page: Awaited<ReturnType<typeof t.gql<UsersQuery, UsersQueryVariables>>> = await t.gql(UsersDocument, { first: 3, after }, { token: tokens.admin });
      expect(page.errors).toBeUndefined();
      seen.push(...page.data!.users.edges.map((e) => e.node.id));
      if (!page.data!.users.pageInfo.hasNextPage) break;
      after = page.data!.users.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(total);
    expect(seen).toHaveLength(total);
    const rows = await t.stores.prisma.user.findMany({ orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { id: true } });
    expect(seen).toEqual(rows.map((r) => r.id));
  });

  it.each([0, -1, 101])("first: %i → BAD_USER_INPUT", async (first) => {
    expect(code(await t.gql(UsersDocument, { first }, { token: tokens.admin }))).toBe("BAD_USER_INPUT");
  });

  it("a malformed or foreign cursor → BAD_USER_INPUT", async () => {
    for (const after of ["junk", Buffer.from(JSON.stringify({ k: "vm", id: "x", createdAt: "y" })).toString("base64url")]) {
      expect(code(await t.gql(UsersDocument, { after }, { token: tokens.admin }))).toBe("BAD_USER_INPUT");
    }
  });
});

describe("tokens follow the stored user", () => {
  it("a deleted user's token stops working at once", async () => {
    const gone = await createUser("dev");
    expect((await t.gql(MeDocument, undefined, { token: gone.token })).data!.me!.id).toBe(gone.user.id);
    expect((await t.gql(DeleteUserDocument, { id: gone.user.id }, { token: tokens.admin })).data!.deleteUser).toBe(true);
    expect(code(await t.gql(MeDocument, undefined, { token: gone.token }))).toBe("UNAUTHENTICATED");
    expect(code(await t.gql(VmsDocument, {}, { token: gone.token }))).toBe("UNAUTHENTICATED");
  });

  it("a role change takes effect at the next request", async () => {
    const user = await createUser("viewer");
    expect(code(await t.gql(CreateVmDocument, { input: buildVmInput() }, { token: user.token }))).toBe("FORBIDDEN");
    await t.gql(UpdateUserDocument, { id: user.user.id, input: { role: "DEV" } }, { token: tokens.admin });
    expect((await t.gql(CreateVmDocument, { input: buildVmInput() }, { token: user.token })).errors).toBeUndefined();
    await t.gql(UpdateUserDocument, { id: user.user.id, input: { role: "VIEWER" } }, { token: tokens.admin });
    expect(code(await t.gql(CreateVmDocument, { input: buildVmInput() }, { token: user.token }))).toBe("FORBIDDEN");
  });

  it("an expired token → UNAUTHENTICATED", async () => {
    const expired = await createTokenIssuer(t.config.jwtSecret, -1).sign(ids.admin, "admin");
    expect(code(await t.gql(MeDocument, undefined, { token: expired.token }))).toBe("UNAUTHENTICATED");
  });

  it("a token that worked stops at its exp: the server's verified-token cache keeps it no longer", { timeout: 10_000 }, async () => {
    // exp has whole seconds: a 2 s token expires within 1-2 s of signing.
    const brief = await createTokenIssuer(t.config.jwtSecret, 2 / 3600).sign(ids.admin, "admin");
    expect((await t.gql(MeDocument, undefined, { token: brief.token })).data!.me!.id).toBe(ids.admin);
    expect((await t.gql(MeDocument, undefined, { token: brief.token })).data!.me!.id).toBe(ids.admin);
    await new Promise((r) => setTimeout(r, brief.expiresAt.getTime() - Date.now() + 50));
    expect(code(await t.gql(MeDocument, undefined, { token: brief.token }))).toBe("UNAUTHENTICATED");
  });

  it("a token signed with another secret → UNAUTHENTICATED", async () => {
    const forged = await createTokenIssuer("another-secret-another-secret-1234", 12).sign(ids.admin, "admin");
    expect(code(await t.gql(MeDocument, undefined, { token: forged.token }))).toBe("UNAUTHENTICATED");
  });
});

describe("GDPR", () => {
  it("myData returns the user and every command it issued, newest first, and nobody else's", async () => {
    const self = await createUser("dev");
    const other = await createUser("dev");
    const base = Date.parse("2026-01-01T00:00:00.000Z");
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push(await putCommand(self.user.id, new Date(base + i * 60_000)));
    await putCommand(other.user.id, new Date(base + 30_000));
    await putCommand(null, new Date(base + 90_000));

    const result = await t.gql(MyDataDocument, undefined, { token: self.token });
    expect(result.errors).toBeUndefined();
    const data = result.data!.myData;
    expect(data.user).toMatchObject({ id: self.user.id, email: self.user.email, role: "DEV" });
    expect(data.commands.map((c) => c.id)).toEqual(mine.map((c) => c.id).reverse());
    expect(data.commands[0]).toEqual({
      id: mine[4]!.id,
      vmId: "vm-gdpr",
      command: mine[4]!.command,
      createdAt: mine[4]!.createdAt.toISOString(),
    });
    expect(Math.abs(Date.parse(data.exportedAt) - Date.now())).toBeLessThan(60_000);
  });

  it("myData of a user without commands has an empty list", async () => {
    const self = await createUser("viewer");
    const result = await t.gql(MyDataDocument, undefined, { token: self.token });
    expect(result.data!.myData.commands).toEqual([]);
  });

  it("deleteUser erases the row and unlinks the user's commands; no store holds the email", async () => {
    const victim = await createUser("dev");
    const bystander = await createUser("dev");
    const base = Date.parse("2026-02-01T00:00:00.000Z");
    const commands = [];
    for (let i = 0; i < 30; i++) commands.push(await putCommand(victim.user.id, new Date(base + i * 1000)));
    const kept = await putCommand(bystander.user.id, new Date(base));

    const result = await t.gql(DeleteUserDocument, { id: victim.user.id }, { token: tokens.admin });
    expect(result.errors).toBeUndefined();
    expect(result.data!.deleteUser).toBe(true);

    const rows = await t.stores.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM users WHERE email = ${victim.user.email} OR id = ${victim.user.id}::uuid`;
    expect(Number(rows[0]!.n)).toBe(0);

    const byIssuer = await t.stores.dynamo.doc.send(
      new QueryCommand({
        TableName: t.stores.tables.commands,
        IndexName: "byIssuedBy",
        KeyConditionExpression: "issuedBy = :u",
        ExpressionAttributeValues: { ":u": victim.user.id },
      }),
    );
    expect(byIssuer.Items).toEqual([]);
    const all = await t.stores.dynamo.doc.send(new ScanCommand({ TableName: t.stores.tables.commands }));
    const byId = new Map((all.Items ?? []).map((item) => [item.commandId as string, item]));
    for (const command of commands) {
      const item = byId.get(command.id)!;
      expect(item).toBeDefined();
      expect("issuedBy" in item).toBe(false);
      expect(item.command).toBe(command.command);
    }
    expect(byId.get(kept.id)!.issuedBy).toBe(bystander.user.id);

    for (const table of Object.values(t.stores.tables)) {
      const scan = await t.stores.dynamo.doc.send(new ScanCommand({ TableName: table }));
      const dump = JSON.stringify(scan.Items ?? []);
      expect(dump).not.toContain(victim.user.email);
      expect(dump).not.toContain(victim.user.id);
    }
    const cache = await t.stores.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT (SELECT count(*) FROM jobs WHERE command LIKE ${"%" + victim.user.email + "%"})
           + (SELECT count(*) FROM job_logs WHERE data LIKE ${"%" + victim.user.email + "%"}) AS n`;
    expect(Number(cache[0]!.n)).toBe(0);
  });

  it("deleteUser again for an interrupted erasure finishes the unlinking; for nothing left it is NOT_FOUND", async () => {
    const erasedId = randomUUID();
    await putCommand(erasedId, new Date());
    const retry = await t.gql(DeleteUserDocument, { id: erasedId }, { token: tokens.admin });
    expect(retry.data!.deleteUser).toBe(true);
    const again = await t.gql(DeleteUserDocument, { id: erasedId }, { token: tokens.admin });
    expect(code(again)).toBe("NOT_FOUND");
    expect(code(await t.gql(DeleteUserDocument, { id: "not-a-uuid" }, { token: tokens.admin }))).toBe("NOT_FOUND");
  });
});
