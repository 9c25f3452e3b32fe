import { compileErrors, validate } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REST_ROUTES } from "../src/rest/router";
import { restClient } from "./support/rest";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let doc: any;

beforeAll(async () => {
  t = await startTestServer();
  const res = await restClient(t).get("/openapi.json");
  expect(res.status).toBe(200);
  doc = res.body;
});
afterAll(() => t?.close());

const METHODS = ["get", "post", "patch", "delete"] as const;
const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] })),
  );

describe("GET /api/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(doc));
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
  });

  it("describes every declared route, once", () => {
    const documented = operations().map(({ op }) => op.operationId).sort();
    expect(documented).toEqual(REST_ROUTES.map((r) => r.operationId).sort());
    for (const route of REST_ROUTES) {
      expect(doc.paths[`/api${route.path}`][route.method].responses).toHaveProperty(String(route.success.status));
    }
  });

  it("documents exactly the routes of the REST contract (../shared/contract/rest.md)", () => {
    const CONTRACT = [
      "POST /api/users/login", "GET /api/users/me", "GET /api/users/me/export", "GET /api/users", "POST /api/users",
      "GET /api/users/{id}", "PATCH /api/users/{id}", "DELETE /api/users/{id}",
      "GET /api/vms", "POST /api/vms", "GET /api/vms/{vmId}", "PATCH /api/vms/{vmId}", "DELETE /api/vms/{vmId}",
      "GET /api/vms/{vmId}/jobs", "GET /api/vms/{vmId}/commands",
      "GET /api/commands", "POST /api/commands", "GET /api/commands/{commandId}",
      "GET /api/jobs", "GET /api/jobs/{jobId}", "PATCH /api/jobs/{jobId}",
      "GET /api/logs/{jobId}", "POST /api/logs/{jobId}", "GET /api/logs/{jobId}/stream",
      "GET /api/logs/{jobId}/search", "GET /api/logs/search",
    ];
    const documented = operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(documented.sort()).toEqual([...CONTRACT].sort());
  });

  it("every documented operation is served (none falls through to the 404 handler)", async () => {
    for (const { path, method } of operations()) {
      const url = `${t.url}${path.replace(/\{\w+\}/g, "x1")}`;
      const res = await fetch(url, { method: method.toUpperCase() });
      const body = (await res.json()) as any;
      expect(body.error?.message ?? "", `${method} ${path}`).not.toMatch(/^no route for/);
    }
  });

  it("documents bearer auth, the error body, and 413/415 on routes with a body", () => {
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.schemas.Error.required).toEqual(["error"]);
    const createVm = doc.paths["/api/vms"].post;
    expect(createVm.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(createVm.responses)).toEqual(expect.arrayContaining(["201", "400", "401", "403", "409", "413", "415"]));
    expect(createVm.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/CreateVm" });
    // The body schema is the service's own createVmSchema: its rules show.
    expect(doc.components.schemas.CreateVm.properties.name).toMatchObject({ minLength: 1, maxLength: 200 });
    const params = doc.paths["/api/vms"].get.parameters.map((p: any) => [p.name, p.in, p.schema.type]);
    expect(params).toEqual([
      ["environment", "query", "string"],
      ["limit", "query", "integer"],
      ["cursor", "query", "string"],
    ]);
    expect(doc.paths["/api/vms/{vmId}"].get.parameters[0]).toMatchObject({ name: "vmId", in: "path", required: true });
  });
});
