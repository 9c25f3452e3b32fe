// The REST machinery on routes of its own (so the cases the VM routes do not
// have are covered: a larger body limit, 204, a public route), over the real
// actor middleware, tokens and error handler.
import { compileErrors, validate } from "@readme/openapi-parser";
import express from "express";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createActorMiddleware } from "../src/rest/actor";
import { createRestErrorHandler } from "../src/rest/errors";
import { buildOpenApiDocument } from "../src/rest/openapi";
import { defineRoute, LOG_BODY_LIMIT, mountRoute } from "../src/rest/route";
import { createUserWithToken } from "./support/factories";
import { restClient } from "./support/rest";
import { startTestServer, type TestServer } from "./support/test-server";

const deleted: string[] = [];
const ROUTES = [
  defineRoute({
    operationId: "bigWrite",
    method: "post",
    path: "/big/{id}",
    tag: "test",
    summary: "A write with the log routes' body limit.",
    auth: "write",
    bodyLimit: LOG_BODY_LIMIT,
    request: { params: z.object({ id: z.string() }), body: z.object({ data: z.string() }) },
    success: { status: 201, description: "Its length.", schema: z.object({ length: z.number() }) },
    handler: async ({ body }) => ({ length: body.data.length }),
  }),
  defineRoute({
    operationId: "deleteThing",
    method: "delete",
    path: "/things/{id}",
    tag: "test",
    summary: "A 204.",
    auth: "write",
    request: { params: z.object({ id: z.string() }) },
    success: { status: 204, description: "Gone." },
    handler: async ({ params }) => {
      deleted.push(params.id);
    },
  }),
  defineRoute({
    operationId: "ping",
    method: "get",
    path: "/ping",
    tag: "test",
    summary: "Public, with a coerced query parameter.",
    auth: "public",
    request: { query: z.object({ n: z.coerce.number().int().default(1) }) },
    success: { status: 200, description: "n back.", schema: z.object({ n: z.number(), signedIn: z.boolean() }) },
    handler: async ({ query, actor }) => ({ n: query.n, signedIn: !!actor }),
  }),
];

let t: TestServer;
let server: Server;
let api: ReturnType<typeof restClient>;
let dev: string;
let viewer: string;

beforeAll(async () => {
  t = await startTestServer();
  dev = (await createUserWithToken(t, "dev")).token;
  viewer = (await createUserWithToken(t, "viewer")).token;
  const router = express.Router();
  const actor = createActorMiddleware(t.server.container);
  for (const route of ROUTES) mountRoute(router, route, actor, t.server.container.services);
  const app = express().use("/api", router).use(createRestErrorHandler(t.server.container.logger));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api = restClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await t?.close();
});

describe("body limits", () => {
  it("a route's own limit lets a 900 KiB body through", async () => {
    const res = await api.post("/big/1", { data: "x".repeat(900 * 1024) }, { token: dev });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ length: 900 * 1024 });
  });

  it("and stops one over 1 MiB with 413", async () => {
    const res = await api.post("/big/1", { data: "x".repeat(LOG_BODY_LIMIT) }, { token: dev });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("permissions come before the body: a viewer's oversized write is 403", async () => {
    const res = await api.post("/big/1", { data: "x".repeat(LOG_BODY_LIMIT) }, { token: viewer });
    expect(res.status).toBe(403);
  });
});

describe("replies and auth", () => {
  it("a 204 has no body", async () => {
    const res = await api.delete("/things/abc", { token: dev });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect(deleted).toEqual(["abc"]);
  });

  it("a delete without a token → 401, handler not run", async () => {
    const res = await api.delete("/things/def");
    expect(res.status).toBe(401);
    expect(deleted).toEqual(["abc"]);
  });

  it("a public route answers without a token, sees the actor with one", async () => {
    expect((await api.get("/ping", { query: { n: "7" } })).body).toEqual({ n: 7, signedIn: false });
    expect((await api.get("/ping", { token: viewer })).body).toEqual({ n: 1, signedIn: true });
  });

  it("a forged token is 401 even on a public route, as in GraphQL", async () => {
    const res = await api.get("/ping", { token: "forged" });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("UNAUTHENTICATED");
  });
});

describe("declarations", () => {
  it("a path whose parameters differ from request.params is refused at start", () => {
    expect(() =>
      defineRoute({
        operationId: "broken",
        method: "get",
        path: "/x/{id}",
        tag: "test",
        summary: "",
        auth: "public",
        request: { params: z.object({ xid: z.string() }) },
        success: { status: 204, description: "" },
        handler: async () => {},
      }),
    ).toThrow(/path \/x\/\{id\} has parameters \[id\], request.params declares \[xid\]/);
  });

  it("these routes document validly too (204 without content, public without security)", async () => {
    const doc = buildOpenApiDocument(ROUTES) as any;
    const result = await validate(structuredClone(doc));
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
    expect(doc.paths["/api/things/{id}"].delete.responses["204"]).toEqual({ description: "Gone." });
    expect(doc.paths["/api/ping"].get.security).toBeUndefined();
  });
});
