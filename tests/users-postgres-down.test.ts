// PostgreSQL unreachable: sign-in fails with SERVICE_UNAVAILABLE, while a valid
// token keeps its signed role so DynamoDB-backed reads and writes go on.
// A second server shares the first one's DynamoDB tables and JWT secret, but
// its Prisma client points at a port where nothing listens.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenIssuer } from "../src/auth/token";
import { createLogger } from "../src/infra/logger";
import { createPrisma } from "../src/infra/postgres/prisma";
import { findFreePort } from "../src/infra/net";
import { startServer, type RunningServer } from "../src/server";
import { CreateVmDocument, LoginDocument, MeDocument, MyDataDocument, UsersDocument, VmDocument } from "./generated/graphql";
import { buildVmInput, createUserWithToken, TEST_PASSWORD } from "./support/factories";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let down: RunningServer;
let deadPrisma: ReturnType<typeof createPrisma>;
const users: Record<"admin" | "dev" | "viewer", { id: string; email: string; token: string }> = {} as never;

beforeAll(async () => {
  t = await startTestServer();
  for (const role of ["admin", "dev", "viewer"] as const) {
    const { user, token } = await createUserWithToken(t, role);
    users[role] = { id: user.id, email: user.email, token };
  }
  deadPrisma = createPrisma(`postgresql://postgres@127.0.0.1:${await findFreePort()}/nothing`);
  down = await startServer({ ...t.config, port: 0 }, createLogger("silent"), { ...t.stores, prisma: deadPrisma });
});
afterAll(async () => {
  await down?.stop();
  await deadPrisma?.$disconnect();
  await t?.close();
});

async function gqlDown(document: unknown, variables: unknown, token?: string) {
  const { print } = await import("graphql");
  const res = await fetch(`${down.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document as never), variables }),
  });
  return (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}
const code = (result: { errors?: Array<{ extensions?: { code?: string } }> }) => result.errors?.[0]?.extensions?.code;

describe("PostgreSQL down", () => {
  it("sign-in fails with SERVICE_UNAVAILABLE and says why", async () => {
    const result = await gqlDown(LoginDocument, { email: users.dev.email, password: TEST_PASSWORD });
    expect(code(result)).toBe("SERVICE_UNAVAILABLE");
    expect(result.errors![0]!.message).toMatch(/PostgreSQL/);
    // The same credentials work against the healthy server: the outage, not the password, failed.
    expect((await t.gql(LoginDocument, { email: users.dev.email, password: TEST_PASSWORD })).errors).toBeUndefined();
  });

  it("user operations that need PostgreSQL answer SERVICE_UNAVAILABLE", async () => {
    expect(code(await gqlDown(MeDocument, {}, users.viewer.token))).toBe("SERVICE_UNAVAILABLE");
    expect(code(await gqlDown(MyDataDocument, {}, users.viewer.token))).toBe("SERVICE_UNAVAILABLE");
    expect(code(await gqlDown(UsersDocument, {}, users.admin.token))).toBe("SERVICE_UNAVAILABLE");
  });

  it("a valid token keeps its signed role: DynamoDB reads and writes go on, roles still hold", async () => {
    const created = await gqlDown(CreateVmDocument, { input: buildVmInput() }, users.dev.token);
    expect(created.errors).toBeUndefined();
    const read = await gqlDown(VmDocument, { id: created.data.createVm.id }, users.viewer.token);
    expect(read.data.vm.id).toBe(created.data.createVm.id);
    expect(code(await gqlDown(CreateVmDocument, { input: buildVmInput() }, users.viewer.token))).toBe("FORBIDDEN");
    // Admin operations need PostgreSQL anyway; the signed role gets no further than that.
    expect(code(await gqlDown(UsersDocument, {}, users.viewer.token))).toBe("FORBIDDEN");
  });

  it("expired, forged and missing tokens get nothing from the fallback", async () => {
    const expired = await createTokenIssuer(t.config.jwtSecret, -1).sign(users.dev.id, "dev");
    const forged = await createTokenIssuer("another-secret-another-secret-1234", 12).sign(users.dev.id, "dev");
    for (const token of [expired.token, forged.token, "not.a.token"]) {
      expect(code(await gqlDown(CreateVmDocument, { input: buildVmInput() }, token))).toBe("UNAUTHENTICATED");
    }
    expect(code(await gqlDown(CreateVmDocument, { input: buildVmInput() }))).toBe("UNAUTHENTICATED");
  });

  it("a token without a valid role claim is not trusted", async () => {
    const noRole = await createTokenIssuer(t.config.jwtSecret, 1).sign(users.dev.id, "superuser");
    expect(code(await gqlDown(VmDocument, { id: "x" }, noRole.token))).toBe("SERVICE_UNAVAILABLE");
  });
});
