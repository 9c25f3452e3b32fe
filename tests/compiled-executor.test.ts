// The compiled executor's routes, on a small schema of its own (no stores):
// what it compiles, what it hands to graphql-js and why, and that plans are
// kept per document while answers are not. tests/executor-equality.test.ts
// compares it with graphql-js on the real schema and stores.
import { execute, GraphQLError, GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, GraphQLUnionType, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { createCompiledExecutor, type ExecutionRoute } from "../src/graphql/compiled-executor";
import { createLogger } from "../src/infra/logger";
import { AppError, ErrorCode } from "../src/shared/errors";

const A = new GraphQLObjectType({ name: "A", fields: { a: { type: GraphQLString } } });
const B = new GraphQLObjectType({ name: "B", fields: { b: { type: GraphQLString } } });
// As type-graphql builds unions: resolveType on the union, no isTypeOf on the members (graphql-jit#181).
const AorB = new GraphQLUnionType({ name: "AorB", types: [A, B], resolveType: (value: { a?: string }) => ("a" in value ? "A" : "B") });
const Item = new GraphQLObjectType({
  name: "Item",
  fields: {
    n: { type: new GraphQLNonNull(GraphQLInt) },
    failing: { type: new GraphQLNonNull(GraphQLString), resolve: () => Promise.reject(new AppError(ErrorCode.NOT_FOUND, "gone")) },
  },
});
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: "Query",
    fields: {
      counter: { type: GraphQLInt, resolve: (_root, _args, context: { calls: number }) => ++context.calls },
      twice: { type: GraphQLInt, args: { n: { type: new GraphQLNonNull(GraphQLInt) } }, resolve: (_root, args: { n: number }) => args.n * 2 },
      either: { type: AorB, resolve: () => ({ b: "bee" }) },
      items: { type: new GraphQLList(new GraphQLNonNull(Item)), resolve: () => [{ n: 1 }, { n: 2 }] },
    },
  }),
});

function executorWithRoutes() {
  const routes: Array<[string, ExecutionRoute]> = [];
  const run = createCompiledExecutor(schema, { logger: createLogger("silent"), observe: (executor, route) => routes.push([executor, route]) });
  return { routes, run };
}

const request = (query: string | ReturnType<typeof parse>, variables?: Record<string, unknown>, operationName?: string) => ({
  document: typeof query === "string" ? parse(query) : query,
  operationName,
  variables,
  contextValue: { calls: 0 },
});

describe("compiled executor", () => {
  it("compiles a document once and runs it per request with that request's context, keeping no answer", async () => {
    const { routes, run } = executorWithRoutes();
    const document = parse("{ counter }");
    const first = request(document);
    const second = request(document);
    expect(await run(first)).toEqual({ data: { counter: 1 } });
    expect(await run(first)).toEqual({ data: { counter: 2 } });
    expect(await run(second)).toEqual({ data: { counter: 1 } });
    expect(routes).toEqual([
      ["jit", "compiled"],
      ["jit", "compiled"],
      ["jit", "compiled"],
    ]);
  });

  it("hands a union field to graphql-js (graphql-jit#181), which resolves its type", async () => {
    const { routes, run } = executorWithRoutes();
    expect(await run(request("{ either { __typename ... on B { b } } }"))).toEqual({ data: { either: { __typename: "B", b: "bee" } } });
    expect(routes).toEqual([["graphql-js", "abstract-type"]]);
  });

  it("answers variables that do not coerce with graphql-js's errors", async () => {
    const { routes, run } = executorWithRoutes();
    const req = request("query Q($n: Int!) { twice(n: $n) }", { n: "two" });
    const result = await run(req);
    expect(JSON.stringify(result)).toBe(JSON.stringify(await execute({ schema, document: req.document, variableValues: req.variables })));
    expect(result.errors?.[0]?.nodes?.[0]?.kind).toBe("VariableDefinition");
    expect(routes).toEqual([["graphql-js", "variables"]]);
  });

  it("hands an unknown operation name and a subscription to graphql-js", async () => {
    const { routes, run } = executorWithRoutes();
    const result = await run(request("query Q { counter }", undefined, "Nope"));
    expect(result.errors?.[0]?.message).toBe('Unknown operation named "Nope".');
    await run(request("subscription S { counter }"));
    expect(routes).toEqual([
      ["graphql-js", "no-operation"],
      ["graphql-js", "subscription"],
    ]);
  });

  it("hands what graphql-jit cannot compile to graphql-js, once planned", async () => {
    const { routes, run } = executorWithRoutes();
    // Not validated (Apollo would refuse it): graphql-jit's compiler rejects a variable of an unknown type.
    const document = parse("query Q($v: Nope) { counter }");
    await run(request(document));
    await run(request(document));
    expect(routes).toEqual([
      ["graphql-js", "compile-error"],
      ["graphql-js", "compile-error"],
    ]);
  });

  it("gives errors as graphql-js does: extensions an object, the original error kept, one error per nulled position", async () => {
    const { run } = executorWithRoutes();
    const req = request("{ items { n failing } }");
    const result = await run(req);
    const reference = await execute({ schema, document: req.document, contextValue: req.contextValue });
    expect(JSON.stringify(result)).toBe(JSON.stringify(reference));
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors!;
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error!.extensions).toEqual({});
    expect(error!.originalError).toBeInstanceOf(AppError);
    expect(error!.locations).toEqual([{ line: 1, column: 13 }]);
  });
});
