// /api/users over real HTTP and real stores: each write read back through GraphQL.
// This file's database has exactly one admin (`admin`) outside the tests that
// make and erase a second one, so the last-admin rules can be shown.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../src/auth/permissions";
import { MeDocument, MyDataDocument, UserDocument, UsersDocument } from "./generated/graphql";
import { createUserWithToken, createVm, sendCommand, TEST_PASSWORD, uniqueEmail } from "./support/factories";
import { expectError, problemPaths, restClient, restUser, type RestResponse } from "./support/rest";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let api: ReturnType<typeof restClient>;
const tokens: Record<Role, string> = { admin: "", dev: "", viewer: "" };
const ids: Record<Role, string> = { admin: "", dev: "", viewer: "" };

beforeAll(async () => {
  t = await startTestServer();
  api = restClient(t);
  for (const role of ["admin", "dev", "viewer"] as const) {
    const { user, token } = await createUserWithToken(t, role);
    tokens[role] = token;
    ids[role] = user.id;
  }
});
afterAll(() => t?.close());

const USER_KEYS = ["createdAt", "email", "id", "role", "updatedAt"];
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";
const userCount = () => t.stores.prisma.user.count();
/** The whole stored row, hash included, to prove a refused write changed nothing. */
const storedRow = (id: string) => t.stores.prisma.user.findUnique({ where: { id } });

async function storesNothing(request: () => Promise<RestResponse>): Promise<RestResponse> {
  const before = await userCount();
  const res = await request();
  expect(await userCount()).toBe(before);
  return res;
}

async function leavesUnchanged(id: string, request: () => Promise<RestResponse>): Promise<RestResponse> {
  const before = await storedRow(id);
  const res = await request();
  expect(await storedRow(id)).toEqual(before);
  return res;
}

const viaGraphQL = async (id: string) => {
  const res = await t.gql(UserDocument, { id }, { token: tokens.admin });
  return res.data!.user ? restUser(res.data!.user) : null;
};

describe("POST /api/users/login", () => {
  it("returns {token, expiresAt, user} (no hash); the token works on REST and GraphQL", async () => {
    const email = uniqueEmail("login");
    const { user } = await createUserWithToken(t, "dev", { email });
    const res = await api.post("/users/login", { email: email.toUpperCase(), password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["expiresAt", "token", "user"]);
    expect(Object.keys(res.body.user).sort()).toEqual(USER_KEYS);
    expect(res.body.user).toMatchObject({ id: user.id, email, role: "dev" });
    expect(Date.parse(res.body.expiresAt)).toBeGreaterThan(Date.now());
    expect(JSON.stringify(res.body)).not.toMatch(/argon2|passwordHash/);

    const me = await api.get("/users/me", { token: res.body.token });
    expect(me.body).toEqual(res.body.user);
    expect(restUser((await t.gql(MeDocument, {}, { token: res.body.token })).data!.me!)).toEqual(res.body.user);
  });

  it("a wrong password and an unknown email → the same 401", async () => {
    const email = uniqueEmail("login");
    await createUserWithToken(t, "viewer", { email });
    const wrong = await api.post("/users/login", { email, password: "not the password" });
    const unknown = await api.post("/users/login", { email: uniqueEmail("nobody"), password: TEST_PASSWORD });
    expectError(wrong, 401, "UNAUTHENTICATED");
    expectError(unknown, 401, "UNAUTHENTICATED");
    expect(unknown.body).toEqual(wrong.body);
  });

  it.each<[string, unknown, string]>([
    ["no password", { email: "a@example.com" }, "body.password"],
    ["email not a string", { email: 1, password: TEST_PASSWORD }, "body.email"],
  ])("%s → 400", async (_label, body, path) => {
    const res = await api.post("/users/login", body);
    expectError(res, 400, "BAD_USER_INPUT");
    expect(problemPaths(res)).toEqual([path]);
  });

  it("malformed JSON → 400, a wrong Content-Type → 415", async () => {
    expectError(await api.post("/users/login", '{"email":'), 400, "BAD_USER_INPUT");
    const body = JSON.stringify({ email: "a@example.com", password: TEST_PASSWORD });
    expectError(await api.post("/users/login", body, { headers: { "content-type": "text/plain" } }), 415, "BAD_USER_INPUT");
  });
});

describe("GET /api/users/me", () => {
  it("the signed-in user, the object GraphQL's me returns", async () => {
    const res = await api.get("/users/me", { token: tokens.viewer });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(USER_KEYS);
    expect(res.body).toMatchObject({ id: ids.viewer, role: "viewer" });
    expect(restUser((await t.gql(MeDocument, {}, { token: tokens.viewer })).data!.me!)).toEqual(res.body);
  });

  it("no token → 401; a forged one → 401", async () => {
    expectError(await api.get("/users/me"), 401, "UNAUTHENTICATED");
    expectError(await api.get("/users/me", { token: "forged" }), 401, "UNAUTHENTICATED");
  });
});

describe("GET /api/users/me/export", () => {
  it("the user and every command it issued, newest first, as GraphQL's myData", async () => {
    const { user, token } = await createUserWithToken(t, "dev");
    const vmId = (await createVm(t, token)).id;
    const first = await sendCommand(t, token, vmId, "first");
    const second = await sendCommand(t, token, vmId, "second");
    const res = await api.get("/users/me/export", { token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["commands", "exportedAt", "user"]);
    expect(res.body.user).toEqual(restUser({ ...user, createdAt: user.createdAt.toISOString(), updatedAt: user.updatedAt.toISOString() }));
    expect(res.body.commands.map((c: { id: string }) => c.id)).toEqual([second.command.id, first.command.id]);
    expect(res.body.commands[0]).toEqual({ id: second.command.id, vmId, command: "second", issuedBy: user.id, createdAt: second.command.createdAt });

    const gql = (await t.gql(MyDataDocument, {}, { token })).data!.myData;
    expect(restUser(gql.user)).toEqual(res.body.user);
    expect(gql.commands.map((c) => ({ ...c, issuedBy: user.id }))).toEqual(
      res.body.commands.map((c: Record<string, unknown>) => ({ id: c.id, vmId: c.vmId, command: c.command, createdAt: c.createdAt, issuedBy: c.issuedBy })),
    );
  });

  it("no token → 401", async () => {
    expectError(await api.get("/users/me/export"), 401, "UNAUTHENTICATED");
  });
});

describe("GET /api/users", () => {
  it("an admin lists everyone, oldest first, pages as GraphQL's users", async () => {
    const all = await api.get("/users", { token: tokens.admin, query: { limit: "100" } });
    expect(all.status).toBe(200);
    expect(all.body.items.map((u: { id: string }) => u.id)).toEqual(expect.arrayContaining([ids.admin, ids.dev, ids.viewer]));
    for (const user of all.body.items) expect(Object.keys(user).sort()).toEqual(USER_KEYS);

    const page = await api.get("/users", { token: tokens.admin, query: { limit: "2" } });
    const gql = await t.gql(UsersDocument, { first: 2 }, { token: tokens.admin });
    expect(page.body.items).toEqual(gql.data!.users.edges.map((e) => restUser(e.node)));
    expect(page.body.nextCursor).toBe(gql.data!.users.pageInfo.endCursor);
    const next = await api.get("/users", { token: tokens.admin, query: { limit: "2", cursor: page.body.nextCursor } });
    expect(next.body.items).toEqual(all.body.items.slice(2, 4));
  });

  it("a dev or viewer → 403; no token → 401; limit=0 → 400", async () => {
    expectError(await api.get("/users", { token: tokens.dev }), 403, "FORBIDDEN");
    expectError(await api.get("/users", { token: tokens.viewer }), 403, "FORBIDDEN");
    expectError(await api.get("/users"), 401, "UNAUTHENTICATED");
    expectError(await api.get("/users", { token: tokens.admin, query: { limit: "0" } }), 400, "BAD_USER_INPUT");
  });
});

describe("POST /api/users", () => {
  it("an admin creates a user (201), email lower-cased; GraphQL and GET return it; it can sign in", async () => {
    const email = uniqueEmail("New");
    const res = await api.post("/users", { email: `  ${email.toUpperCase()} `, password: "a new password", role: "dev" }, { token: tokens.admin });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(USER_KEYS);
    expect(res.body).toMatchObject({ email: email.toLowerCase(), role: "dev" });
    expect(await viaGraphQL(res.body.id)).toEqual(res.body);
    expect((await api.get(`/users/${res.body.id}`, { token: tokens.admin })).body).toEqual(res.body);
    expect((await api.post("/users/login", { email, password: "a new password" })).status).toBe(200);
  });

  it("a taken email, in any case → 409, nothing stored", async () => {
    const email = uniqueEmail("taken");
    expect((await api.post("/users", { email, password: TEST_PASSWORD, role: "viewer" }, { token: tokens.admin })).status).toBe(201);
    const res = await storesNothing(() =>
      api.post("/users", { email: email.toUpperCase(), password: TEST_PASSWORD, role: "admin" }, { token: tokens.admin }),
    );
    expectError(res, 409, "CONFLICT");
  });

  it.each<[string, unknown, string]>([
    ["not an email", { email: "nope", password: TEST_PASSWORD, role: "dev" }, "body.email"],
    ["a 9-character password", { email: "short@example.com", password: "123456789", role: "dev" }, "body.password"],
    ["role in upper case", { email: "upper@example.com", password: TEST_PASSWORD, role: "ADMIN" }, "body.role"],
    ["no role", { email: "norole@example.com", password: TEST_PASSWORD }, "body.role"],
  ])("%s → 400, nothing stored", async (_label, body, path) => {
    const res = await storesNothing(() => api.post("/users", body, { token: tokens.admin }));
    expectError(res, 400, "BAD_USER_INPUT");
    expect(problemPaths(res)).toEqual([path]);
  });

  it("a dev or viewer → 403, no token → 401: nothing stored", async () => {
    const body = { email: uniqueEmail(), password: TEST_PASSWORD, role: "admin" };
    expectError(await storesNothing(() => api.post("/users", body, { token: tokens.dev })), 403, "FORBIDDEN");
    expectError(await storesNothing(() => api.post("/users", body, { token: tokens.viewer })), 403, "FORBIDDEN");
    expectError(await storesNothing(() => api.post("/users", body)), 401, "UNAUTHENTICATED");
  });
});

describe("GET /api/users/:id", () => {
  it("an admin reads anyone; anybody reads itself", async () => {
    const res = await api.get(`/users/${ids.dev}`, { token: tokens.admin });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(await viaGraphQL(ids.dev));
    expect((await api.get(`/users/${ids.viewer}`, { token: tokens.viewer })).body).toMatchObject({ id: ids.viewer, role: "viewer" });
  });

  it("anybody else → 403 (whether or not the id exists)", async () => {
    expectError(await api.get(`/users/${ids.dev}`, { token: tokens.viewer }), 403, "FORBIDDEN");
    expectError(await api.get(`/users/${UNKNOWN_ID}`, { token: tokens.dev }), 403, "FORBIDDEN");
  });

  it("unknown → 404; not a UUID → 400; no token → 401", async () => {
    expectError(await api.get(`/users/${UNKNOWN_ID}`, { token: tokens.admin }), 404, "NOT_FOUND");
    const bad = await api.get("/users/12", { token: tokens.admin });
    expectError(bad, 400, "BAD_USER_INPUT");
    expect(problemPaths(bad)).toEqual(["params.id"]);
    expectError(await api.get(`/users/${ids.dev}`), 401, "UNAUTHENTICATED");
  });
});

describe("PATCH /api/users/:id", () => {
  it("anybody changes its own email and password (200), as GraphQL then reads it", async () => {
    const { user, token } = await createUserWithToken(t, "viewer");
    const email = uniqueEmail("renamed");
    const res = await api.patch(`/users/${user.id}`, { email, password: "a brand new password" }, { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, email, role: "viewer", createdAt: user.createdAt.toISOString() });
    expect(res.body.updatedAt > user.updatedAt.toISOString()).toBe(true);
    expect(await viaGraphQL(user.id)).toEqual(res.body);
    expect((await api.post("/users/login", { email, password: "a brand new password" })).status).toBe(200);
    expect((await api.post("/users/login", { email, password: TEST_PASSWORD })).status).toBe(401);
  });

  it("an admin changes anyone's role, in lower case", async () => {
    const { user } = await createUserWithToken(t, "dev");
    const res = await api.patch(`/users/${user.id}`, { role: "viewer" }, { token: tokens.admin });
    expect(res.status).toBe(200);
    expect(res.body.role).toBe("viewer");
    expect(await viaGraphQL(user.id)).toEqual(res.body);
  });

  it("a role change by a non-admin, even to its own role → 403, unchanged", async () => {
    const res = await leavesUnchanged(ids.dev, () => api.patch(`/users/${ids.dev}`, { role: "dev" }, { token: tokens.dev }));
    expectError(res, 403, "FORBIDDEN");
  });

  it("a non-admin changing somebody else → 403, unchanged", async () => {
    const res = await leavesUnchanged(ids.dev, () => api.patch(`/users/${ids.dev}`, { email: uniqueEmail() }, { token: tokens.viewer }));
    expectError(res, 403, "FORBIDDEN");
  });

  it("the last admin demoting itself → 409, unchanged", async () => {
    const res = await leavesUnchanged(ids.admin, () => api.patch(`/users/${ids.admin}`, { role: "dev" }, { token: tokens.admin }));
    expectError(res, 409, "CONFLICT");
  });

  it("another user's email → 409, unchanged", async () => {
    const taken = (await storedRow(ids.dev))!.email;
    const res = await leavesUnchanged(ids.viewer, () => api.patch(`/users/${ids.viewer}`, { email: taken }, { token: tokens.viewer }));
    expectError(res, 409, "CONFLICT");
  });

  it.each<[string, unknown, string]>([
    ["no field", {}, "body"],
    ["not an email", { email: "nope" }, "body.email"],
    ["a short password", { password: "short" }, "body.password"],
    ["role in upper case", { role: "VIEWER" }, "body.role"],
  ])("%s → 400, unchanged", async (_label, body, path) => {
    const res = await leavesUnchanged(ids.dev, () => api.patch(`/users/${ids.dev}`, body, { token: tokens.admin }));
    expectError(res, 400, "BAD_USER_INPUT");
    expect(problemPaths(res)).toEqual([path]);
  });

  it("unknown → 404; not a UUID → 400; no token → 401 (unchanged)", async () => {
    expectError(await storesNothing(() => api.patch(`/users/${UNKNOWN_ID}`, { role: "dev" }, { token: tokens.admin })), 404, "NOT_FOUND");
    expectError(await api.patch("/users/me", { role: "dev" }, { token: tokens.admin }), 400, "BAD_USER_INPUT");
    const res = await leavesUnchanged(ids.dev, () => api.patch(`/users/${ids.dev}`, { email: uniqueEmail() }));
    expectError(res, 401, "UNAUTHENTICATED");
  });
});

describe("DELETE /api/users/:id", () => {
  it("erases the user (204): GET is 404, GraphQL's user is null, its commands' issuedBy null, its token dead", async () => {
    const { user, token } = await createUserWithToken(t, "dev");
    const vmId = (await createVm(t, token)).id;
    const { command } = await sendCommand(t, token, vmId, "mine");
    const res = await api.delete(`/users/${user.id}`, { token: tokens.admin });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect(await storedRow(user.id)).toBeNull();
    expect(await viaGraphQL(user.id)).toBeNull();
    expectError(await api.get(`/users/${user.id}`, { token: tokens.admin }), 404, "NOT_FOUND");
    expect((await api.get(`/commands/${command.id}`, { token: tokens.viewer })).body.issuedBy).toBeNull();
    expectError(await api.get("/users/me", { token }), 401, "UNAUTHENTICATED");
    expectError(await api.delete(`/users/${user.id}`, { token: tokens.admin }), 404, "NOT_FOUND");
  });

  it("an admin may erase another admin while one remains", async () => {
    const { user } = await createUserWithToken(t, "admin");
    expect((await api.delete(`/users/${user.id}`, { token: tokens.admin })).status).toBe(204);
  });

  it("the last admin → 409, still there", async () => {
    const res = await leavesUnchanged(ids.admin, () => api.delete(`/users/${ids.admin}`, { token: tokens.admin }));
    expectError(res, 409, "CONFLICT");
  });

  it("a dev or viewer → 403 (even itself), no token → 401: the user stays", async () => {
    expectError(await leavesUnchanged(ids.viewer, () => api.delete(`/users/${ids.viewer}`, { token: tokens.dev })), 403, "FORBIDDEN");
    expectError(await leavesUnchanged(ids.viewer, () => api.delete(`/users/${ids.viewer}`, { token: tokens.viewer })), 403, "FORBIDDEN");
    expectError(await leavesUnchanged(ids.viewer, () => api.delete(`/users/${ids.viewer}`)), 401, "UNAUTHENTICATED");
  });

  it("unknown → 404; not a UUID → 400", async () => {
    expectError(await storesNothing(() => api.delete(`/users/${UNKNOWN_ID}`, { token: tokens.admin })), 404, "NOT_FOUND");
    const bad = await api.delete("/users/nobody", { token: tokens.admin });
    expectError(bad, 400, "BAD_USER_INPUT");
    expect(problemPaths(bad)).toEqual(["params.id"]);
  });
});
