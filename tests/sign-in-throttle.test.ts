// Sign-in brute force (issue 15, item 3) over GraphQL (aliases, a batch) and
// REST, on two instances sharing Redis: counted per attempt, per account and
// client IP (10 in a row lock it 15 minutes) and per IP (100 failures an hour).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGN_IN_LIMITS, SignInThrottle } from "../src/users/sign-in-throttle";
import { createUserWithToken, TEST_PASSWORD, uniqueEmail } from "./support/factories";
import { startTcpProxy } from "./support/tcp-proxy";
import { startPeerServer, startTestServer, type TestServer } from "./support/test-server";

const REDIS = {
  REDIS_URL: "redis://127.0.0.1:6379",
  REDIS_KEY_PREFIX: `test-signin-${randomBytes(4).toString("hex")}:`,
  // The tests play many clients through X-Forwarded-For.
  TRUST_PROXY: "true",
};
const WRONG = "wrong password, surely";
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  a = await startTestServer(REDIS);
  b = await startPeerServer(a, REDIS);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

let ipCounter = 0;
const newIp = () => `203.0.113.${++ipCounter}`;

interface Attempt {
  status: number;
  code: string | undefined;
  retryAfter: number | undefined;
  token: string | undefined;
}

async function graphqlLogin(server: TestServer, ip: string, email: string, password: string): Promise<Attempt> {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify({
      query: "mutation($e: EmailAddress!, $p: String!) { login(email: $e, password: $p) { token } }",
      variables: { e: email, p: password },
    }),
  });
  const body = (await res.json()) as { data?: { login?: { token: string } } | null; errors?: Array<{ extensions?: Record<string, unknown> }> };
  const extensions = body.errors?.[0]?.extensions;
  return {
    status: res.status,
    code: extensions?.code as string | undefined,
    retryAfter: extensions?.retryAfterSeconds as number | undefined,
    token: body.data?.login?.token,
  };
}

async function restLogin(server: TestServer, ip: string, email: string, password: string): Promise<Attempt> {
  const res = await fetch(`${server.url}/api/users/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify({ email, password }),
  });
  const body = (await res.json()) as { token?: string; error?: { code: string } };
  const header = res.headers.get("retry-after");
  return { status: res.status, code: body.error?.code, retryAfter: header ? Number(header) : undefined, token: body.token };
}

async function user() {
  const email = uniqueEmail("throttle");
  await createUserWithToken(a, "viewer", { email });
  return email;
}

async function failTimes(n: number, ip: string, email: string, via: (i: number) => TestServer = (i) => (i % 2 ? b : a)) {
  const codes: Array<string | undefined> = [];
  for (let i = 0; i < n; i++) codes.push((await graphqlLogin(via(i), ip, email, WRONG)).code);
  return codes;
}

describe("consecutive failures per account and client IP", () => {
  it("the 10th failure in a row, over both instances, locks the pair for 15 minutes, a correct password too", async () => {
    const email = await user();
    const ip = newIp();
    expect(await failTimes(10, ip, email)).toEqual(Array(10).fill("UNAUTHENTICATED"));
    for (const server of [a, b]) {
      const locked = await graphqlLogin(server, ip, email, TEST_PASSWORD);
      expect(locked).toMatchObject({ code: "RATE_LIMITED", token: undefined });
      expect(locked.retryAfter).toBeGreaterThan(SIGN_IN_LIMITS.lockSeconds - 60);
      expect(locked.retryAfter).toBeLessThanOrEqual(SIGN_IN_LIMITS.lockSeconds);
    }
    // REST shares the counters: 429 with Retry-After.
    const rest = await restLogin(a, ip, email, TEST_PASSWORD);
    expect(rest).toMatchObject({ status: 429, code: "RATE_LIMITED", token: undefined });
    expect(rest.retryAfter).toBeGreaterThan(SIGN_IN_LIMITS.lockSeconds - 60);
  });

  it("one account's lock locks nobody else: another account from that IP, that account from another IP", async () => {
    const email = await user();
    const other = await user();
    const ip = newIp();
    await failTimes(10, ip, email);
    expect((await graphqlLogin(a, ip, email, TEST_PASSWORD)).code).toBe("RATE_LIMITED");
    expect((await graphqlLogin(b, ip, other, TEST_PASSWORD)).token).toBeDefined();
    expect((await restLogin(b, newIp(), email, TEST_PASSWORD)).token).toBeDefined();
  });

  it("a success clears the streak", async () => {
    const email = await user();
    const ip = newIp();
    await failTimes(9, ip, email);
    expect((await graphqlLogin(a, ip, email, TEST_PASSWORD)).token).toBeDefined();
    expect(await failTimes(9, ip, email)).toEqual(Array(9).fill("UNAUTHENTICATED"));
    expect((await graphqlLogin(b, ip, email, TEST_PASSWORD)).token).toBeDefined();
  });

  it("an unknown email behaves exactly as a known one", async () => {
    const known = await user();
    const unknown = uniqueEmail("nobody");
    const ip = newIp();
    const answers = async (email: string) => {
      const codes = await failTimes(11, ip, email);
      const rest = await restLogin(a, ip, email, WRONG);
      return [...codes, rest.status, rest.code];
    };
    const expected = [...Array(10).fill("UNAUTHENTICATED"), "RATE_LIMITED", 429, "RATE_LIMITED"];
    expect(await answers(known)).toEqual(expected);
    expect(await answers(unknown)).toEqual(expected);
  });

  it("REST alone: 401 ten times, then 429 with Retry-After", async () => {
    const email = await user();
    const ip = newIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await restLogin(i % 2 ? a : b, ip, email, WRONG)).status);
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
  });

  it("parallel guesses cannot overtake the count: at most 10 of 20 at once are checked", async () => {
    const email = await user();
    const ip = newIp();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => restLogin(i % 2 ? a : b, ip, email, WRONG)));
    expect(results.filter((r) => r.status === 401)).toHaveLength(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(10);
  });
});

describe("GraphQL: each alias and each batched operation is one attempt", () => {
  it("aliases of login in one document count one attempt each", async () => {
    const email = await user();
    const ip = newIp();
    const aliases = Array.from({ length: 12 }, (_, i) => `l${i}: login(email: "${email}", password: "${WRONG} ${i}") { token }`).join(" ");
    const res = await fetch(`${a.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": ip },
      body: JSON.stringify({ query: `mutation { ${aliases} }` }),
    });
    const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    const codes = body.errors!.map((e) => e.extensions!.code);
    // Mutations run one field at a time and login is non-null, so the first
    // failure ends the document: aliases cannot multiply guesses, and the one that ran counted.
    const attempts = codes.length;
    expect(attempts).toBe(1);
    expect(codes.every((c) => c === "UNAUTHENTICATED")).toBe(true);
    const rest = await failTimes(10 - attempts, ip, email);
    expect(rest.every((c) => c === "UNAUTHENTICATED")).toBe(true);
    expect((await graphqlLogin(b, ip, email, TEST_PASSWORD)).code).toBe("RATE_LIMITED");
    // Each alias is checked on its own: one signs in, the next (the locked pair) is refused.
    const other = await user();
    const both = await fetch(`${b.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": ip },
      body: JSON.stringify({
        query: `mutation { ok: login(email: "${other}", password: "${TEST_PASSWORD}") { token } locked: login(email: "${email}", password: "${TEST_PASSWORD}") { token } }`,
      }),
    });
    const bothBody = (await both.json()) as { errors?: Array<{ path: string[]; extensions?: { code?: string } }> };
    expect(bothBody.errors!.map((e) => [e.path[0], e.extensions!.code])).toEqual([["locked", "RATE_LIMITED"]]);
  });

  it("a batch of logins is refused whole: no attempt made, none counted", async () => {
    const email = await user();
    const ip = newIp();
    const op = { query: "mutation($e: EmailAddress!, $p: String!) { login(email: $e, password: $p) { token } }", variables: { e: email, p: WRONG } };
    const res = await fetch(`${a.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": ip },
      body: JSON.stringify(Array(20).fill(op)),
    });
    expect(res.status).toBe(400);
    expect(await failTimes(9, ip, email)).toEqual(Array(9).fill("UNAUTHENTICATED"));
    expect((await graphqlLogin(a, ip, email, TEST_PASSWORD)).token).toBeDefined();
  });
});

describe("failures per client IP", () => {
  it("100 failures an hour from one IP, over any accounts, refuse the next attempt from it, not from elsewhere", async () => {
    const ip = newIp();
    const email = await user();
    // 50 emails × 2 failures: no pair reaches its own lock.
    const guesses = Array.from({ length: 100 }, (_, i) => `guess-${i % 50}@example.com`);
    const results = await Promise.all(guesses.map((guess, i) => restLogin(i % 2 ? a : b, ip, guess, WRONG)));
    expect(results.every((r) => r.status === 401)).toBe(true);
    const refused = await graphqlLogin(a, ip, email, TEST_PASSWORD);
    expect(refused.code).toBe("RATE_LIMITED");
    expect(refused.retryAfter).toBeGreaterThan(SIGN_IN_LIMITS.ipWindowSeconds - 120);
    expect((await restLogin(b, ip, email, TEST_PASSWORD)).status).toBe(429);
    expect((await graphqlLogin(b, newIp(), email, TEST_PASSWORD)).token).toBeDefined();
  });
});

describe("Redis unreachable", () => {
  it("sign-in stays up, throttled in the instance's memory", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    const c = await startPeerServer(a, { ...REDIS, REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    try {
      const email = await user();
      const ip = newIp();
      await proxy.cut();
      expect((await graphqlLogin(c, ip, email, TEST_PASSWORD)).token).toBeDefined();
      expect(await failTimes(10, ip, email, () => c)).toEqual(Array(10).fill("UNAUTHENTICATED"));
      expect((await graphqlLogin(c, ip, email, TEST_PASSWORD)).code).toBe("RATE_LIMITED");
    } finally {
      await c.close();
      await proxy.close();
    }
  });
});

describe("without REDIS_URL", () => {
  it("counts in memory, with the same rules (one instance)", async () => {
    const throttle = new SignInThrottle(undefined, "");
    const attempt = { email: "someone@example.com", clientIp: "198.51.100.1" };
    for (let i = 0; i < SIGN_IN_LIMITS.consecutiveFailures; i++) await (await throttle.begin(attempt)).failed();
    await expect(throttle.begin(attempt)).rejects.toMatchObject({ code: "RATE_LIMITED" });
    await expect(throttle.begin({ ...attempt, clientIp: "198.51.100.2" })).resolves.toBeDefined();
  });
});
