// Each operation's permission is declared once (OPERATIONS); GraphQL's
// @Authorized, REST's early check and both descriptions must say the same.
import { getMetadataStorage } from "type-graphql";
import { describe, expect, it } from "vitest";
import { OPERATIONS, roleLine, rolesFor, type Operation } from "../src/auth/operations";
import { ROLES } from "../src/auth/permissions";
import { buildGraphQLSchema } from "../src/graphql/schema";
import { routeAccess } from "../src/rest/route";
import { REST_ROUTES } from "../src/rest/router";

/** Who GraphQL lets through for a root field: undefined when anyone may (no @Authorized), else the roles. */
async function graphqlRoles(field: string): Promise<string[] | undefined> {
  await buildGraphQLSchema();
  const found = getMetadataStorage().authorizedFields.filter((a) => a.fieldName === field);
  if (found.length === 0) return undefined;
  expect(found).toHaveLength(1);
  return found[0]!.roles.length ? [...found[0]!.roles] : [...ROLES];
}

async function rootField(name: string) {
  const schema = await buildGraphQLSchema();
  return schema.getQueryType()!.getFields()[name] ?? schema.getMutationType()!.getFields()[name];
}

describe("one permission declaration per operation", () => {
  it("every REST route declares its operation, and the operation names that route", () => {
    for (const route of REST_ROUTES) {
      expect(typeof route.auth, route.operationId).toBe("object");
      expect((route.auth as Operation).rest, route.operationId).toBe(route.operationId);
    }
  });

  it("every Query and Mutation field has a declared operation", async () => {
    const schema = await buildGraphQLSchema();
    const fields = [...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())];
    for (const field of fields) expect(Object.keys(OPERATIONS), field).toContain(field);
  });

  for (const op of Object.values(OPERATIONS)) {
    it(`${op.name}: GraphQL and REST let the same roles through, and both descriptions say so`, async () => {
      const expected = rolesFor(op.access);
      const field = op.name.includes(".") ? undefined : await rootField(op.name);
      if (field) {
        const roles = await graphqlRoles(op.name);
        if (op.access === "public" || op.anonymousGetsNull) expect(roles).toBeUndefined();
        else expect(roles?.sort()).toEqual([...expected].sort());
        expect(field.description?.startsWith(roleLine(op)), field.description ?? "").toBe(true);
      }
      const route = REST_ROUTES.find((r) => r.auth === op);
      if (op.rest) expect(route, op.rest).toBeDefined();
      if (route) {
        expect(rolesFor(routeAccess(route.auth)).sort()).toEqual([...expected].sort());
        if (field && !op.anonymousGetsNull) expect(routeAccess(route.auth) === "public").toBe(op.access === "public");
      }
    });
  }
});
