// A production server (issue 15, item 4): trusted documents from the manifest
// `npm run codegen` writes (tests/generated/persisted-documents.json), and no
// field suggestions in errors.
import { writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config/env";
import { StoreCallCounter } from "../src/infra/store-calls";
import manifest from "./generated/persisted-documents.json";
import { LoginDocument, MeDocument } from "./generated/graphql";
import { createUserWithToken, TEST_PASSWORD, uniqueEmail } from "./support/factories";
import { startPeerServer, startTestServer, type TestServer } from "./support/test-server";

const MANIFEST = path.resolve(import.meta.dirname, "generated/persisted-documents.json");
const documents = manifest as Record<string, string>;
const hashOf = (doc: unknown) => (doc as { __meta__: { hash: string } }).__meta__.hash;

let t: TestServer;
let open: TestServer;
let token: string;
let email: string;
let calls: StoreCallCounter;

beforeAll(async () => {
  t = await startTestServer({ NODE_ENV: "production", TRUSTED_DOCUMENTS: MANIFEST });
  open = await startPeerServer(t, { NODE_ENV: "production" });
  email = uniqueEmail("trusted");
  token = (await createUserWithToken(t, "viewer", { email })).token;
  calls = new StoreCallCounter({ dynamo: t.stores.dynamo.raw, prisma: t.stores.prisma });
});
afterAll(async () => {
  calls?.detach();
  await open?.close();
  await t?.close();
});

async function post(server: TestServer, body: unknown, headers: Record<string, string> = {}) {
  calls.reset();
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  return { status: res.status, data: json.data, errors: json.errors ?? [], storeCalls: calls.calls.length };
}

describe("with TRUSTED_DOCUMENTS", () => {
  it("runs a document named by documentId, by extensions.persistedQuery.sha256Hash, or sent as its exact text", async () => {
    const hash = hashOf(MeDocument);
    for (const body of [
      { documentId: hash },
      { extensions: { persistedQuery: { version: 1, sha256Hash: hash.replace("sha256:", "") } } },
      { query: documents[hash] },
      { query: documents[hash], documentId: hash },
    ]) {
      const res = await post(t, body);
      expect(res.errors, JSON.stringify(body)).toEqual([]);
      expect(res.data).toMatchObject({ me: { email } });
    }
  });

  it("runs a mutation by id, with variables", async () => {
    const res = await post(t, { documentId: hashOf(LoginDocument), variables: { email, password: TEST_PASSWORD } });
    expect(res.errors).toEqual([]);
    expect((res.data!.login as { user: { email: string } }).user.email).toBe(email);
  });

  it("runs a GET by documentId", async () => {
    const url = `${t.url}/graphql?documentId=${encodeURIComponent(hashOf(MeDocument))}`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "true" } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { me: { email: string } } }).data.me.email).toBe(email);
  });

  it("refuses anything else with a code, before parsing and before any store call", async () => {
    const cases: Array<[unknown, string]> = [
      [{ query: "{ me { id } }" }, "PERSISTED_QUERY_NOT_IN_LIST"],
      // The same operation, printed differently: not the exact text.
      [{ query: `${documents[hashOf(MeDocument)]} ` }, "PERSISTED_QUERY_NOT_IN_LIST"],
      [{ query: "{ me { id } }", documentId: hashOf(MeDocument) }, "PERSISTED_QUERY_NOT_IN_LIST"],
      [{ documentId: `sha256:${"0".repeat(64)}` }, "PERSISTED_QUERY_NOT_FOUND"],
      [{ extensions: { persistedQuery: { version: 1, sha256Hash: "f".repeat(64) } } }, "PERSISTED_QUERY_NOT_FOUND"],
      [{ variables: {} }, "PERSISTED_QUERY_NOT_IN_LIST"],
      [{ query: "{ this is not graphql" }, "PERSISTED_QUERY_NOT_IN_LIST"],
    ];
    for (const [body, code] of cases) {
      const res = await post(t, body);
      expect({ body, status: res.status, code: res.errors[0]?.extensions?.code, storeCalls: res.storeCalls }).toEqual({ body, status: 400, code, storeCalls: 0 });
    }
  });

  it("refuses a manifest whose keys are not the sha256 of their text, at start", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "vmo-trusted-"));
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ [`sha256:${"a".repeat(64)}`]: "{ me { id } }" }));
    const env = { JWT_SECRET: "x".repeat(32), TRUSTED_DOCUMENTS: bad };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/TRUSTED_DOCUMENTS: .*is not the sha256 of its document's text/);
    expect(() => loadConfig({ ...env, TRUSTED_DOCUMENTS: path.join(dir, "missing.json") })).toThrow(/TRUSTED_DOCUMENTS: cannot read/);
  });
});

describe("production errors", () => {
  it("carry no field suggestions (validation or variables)", async () => {
    const field = await post(open, { query: "{ me { emial } }" });
    expect(field.status).toBe(400);
    expect(field.errors[0]!.message).toContain('Cannot query field "emial"');
    expect(field.errors[0]!.message).not.toContain("Did you mean");
    const value = await post(open, { query: "query($s: JobStatus) { jobs(filter: { status: $s }) { edges { cursor } } }", variables: { s: "RUNNIN" } });
    expect(value.errors[0]!.extensions!.code).toBe("BAD_USER_INPUT");
    expect(value.errors[0]!.message).toContain("RUNNIN");
    expect(value.errors[0]!.message).not.toContain("Did you mean");
  });

  it("refuse introspection", async () => {
    const res = await post(open, { query: "{ __schema { types { name } } }" });
    expect(res.status).toBe(400);
    expect(res.errors[0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});
