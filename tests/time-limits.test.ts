// Time limits (issue 15, item 5): a request whose store hangs gets TIMEOUT, not a
// hung socket, over GraphQL and REST; a client that sends its headers too
// slowly is answered 408 and cut off by Node.
import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUserWithToken, TEST_PASSWORD, uniqueEmail } from "./support/factories";
import { startTestServer, type TestServer } from "./support/test-server";

const REQUEST_TIMEOUT_MS = 1_000;
let t: TestServer;
let email: string;

beforeAll(async () => {
  t = await startTestServer({
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    HTTP_HEADERS_TIMEOUT_MS: "500",
    HTTP_REQUEST_TIMEOUT_MS: "1000",
  });
  email = uniqueEmail("slow");
  await createUserWithToken(t, "viewer", { email });
});
afterAll(() => t?.close());

/** Holds an exclusive lock on the users table (a real PostgreSQL wait) while `run` runs. */
async function withUsersLocked<T>(run: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
    return await run();
  } finally {
    await client.query("ROLLBACK");
    await client.end();
  }
}

describe("REQUEST_TIMEOUT_MS", () => {
  it("answers a GraphQL request whose store hangs with TIMEOUT (503), then serves again", async () => {
    const res = await withUsersLocked(() =>
      fetch(`${t.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `mutation { login(email: "${email}", password: "${TEST_PASSWORD}") { token } }` }),
      }),
    );
    expect(res.status).toBe(503);
    const body = (await res.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe("TIMEOUT");
    expect(body.errors[0]!.message).toContain(`${REQUEST_TIMEOUT_MS} ms`);
    // Served again once the lock is gone (a document that needs no store, so the check does not race the deadline).
    const again = await t.gql("{ __typename }");
    expect(again).toMatchObject({ status: 200, data: { __typename: "Query" } });
  });

  it("answers a REST request whose store hangs with 503 TIMEOUT", async () => {
    const res = await withUsersLocked(() =>
      fetch(`${t.url}/api/users/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: TEST_PASSWORD }),
      }),
    );
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("TIMEOUT");
  });
});

describe("Node's header and request timeouts", () => {
  it("answer 408 and close a connection whose headers never end", async () => {
    const port = Number(new URL(t.url).port);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
      let received = "";
      socket.on("data", (chunk) => (received += chunk));
      socket.on("close", () => resolve(received));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});
