// Executes operations with graphql-jit: each (document, operation) is compiled
// once into a function that runs its resolvers without graphql-js's per-field
// machinery (an S1 answer is ~1,000 field executions). Only the plan is
// cached: every request runs its own resolvers with its own context (its
// DataLoaders), and its answer is never kept.
//
// graphql-js stays the reference. An operation runs on graphql-js instead
// when graphql-jit cannot compile it, and where graphql-jit is known to
// answer differently (see `fallbackReason`). Which executor ran, and why, is
// counted per request (graphql_executions_total) and logged once per document.
import {
  BREAK,
  execute,
  getNamedType,
  getOperationAST,
  GraphQLError,
  isAbstractType,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import type { Logger } from "../infra/logger.js";

export interface ExecutionRequest {
  document: DocumentNode;
  /** As the client sent it (undefined: the document's only operation). */
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  contextValue: unknown;
}

export type Executor = (request: ExecutionRequest) => Promise<ExecutionResult>;

/** Why a request ran where it did: "compiled", or the reason it fell back to graphql-js. */
export type ExecutionRoute =
  | "compiled"
  /** No operation of the document matches the name (graphql-js words that error). */
  | "no-operation"
  /** Subscriptions are served over WebSocket by graphql-ws; over HTTP graphql-js answers as it always did. */
  | "subscription"
  /**
   * graphql-jit runs every root field of a mutation, where graphql-js stops at
   * the first non-null one that fails: aliased logins would each count as a
   * sign-in attempt (tests/sign-in-throttle.test.ts). Writes are not the hot path.
   */
  | "mutation"
  /** A union or interface field: graphql-jit mis-resolves type-graphql's abstract types (graphql-jit#181). */
  | "abstract-type"
  /** graphql-jit returned errors from compiling, or threw. */
  | "compile-error"
  /** The variables did not coerce: graphql-js words those errors (Apollo maps them to BAD_USER_INPUT by their text). */
  | "variables";

export type ObserveExecution = (executor: "jit" | "graphql-js", route: ExecutionRoute) => void;

/** Decided once per document and operation, when it is first compiled. */
type PlanFallback = Exclude<ExecutionRoute, "compiled" | "variables">;
type Plan = { compiled: CompiledQuery } | { fallback: PlanFallback };

export function createCompiledExecutor(schema: GraphQLSchema, options: { logger: Logger; observe?: ObserveExecution }): Executor {
  const { logger, observe = () => {} } = options;
  // Apollo's document store hands out the same DocumentNode for the same query
  // text, so the plan is found again; a document it evicts takes its plans with it.
  const plans = new WeakMap<DocumentNode, Map<string | null, Plan>>();

  const planFor = (document: DocumentNode, operationName: string | undefined): Plan => {
    let byOperation = plans.get(document);
    if (!byOperation) plans.set(document, (byOperation = new Map()));
    const key = operationName ?? null;
    let plan = byOperation.get(key);
    if (!plan) {
      plan = compile(schema, document, operationName, logger);
      byOperation.set(key, plan);
    }
    return plan;
  };

  const runGraphQLJs = (request: ExecutionRequest, route: ExecutionRoute) => {
    observe("graphql-js", route);
    return execute({
      schema,
      document: request.document,
      operationName: request.operationName,
      variableValues: request.variables,
      contextValue: request.contextValue,
    });
  };

  return async (request) => {
    const plan = planFor(request.document, request.operationName);
    if ("fallback" in plan) return runGraphQLJs(request, plan.fallback);
    const result = await plan.compiled.query(undefined, request.contextValue, request.variables);
    // graphql-jit answers a variable it could not coerce with errors and no
    // `data`, before any resolver ran: graphql-js answers it again, in its words.
    if (!("data" in result)) return runGraphQLJs(request, "variables");
    observe("jit", "compiled");
    if (!result.errors) return result;
    // graphql-js's key order (Apollo orders the HTTP answer itself, other callers may not).
    return { errors: firstErrorPerNulledPosition(result.data, result.errors).map(asGraphQLJsError), data: result.data };
  };
}

function compile(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, logger: Logger): Plan {
  const operation = getOperationAST(document, operationName);
  const reason = fallbackReason(schema, document, operation?.operation);
  if (reason) {
    logger.debug({ operationName: operation?.name?.value ?? operationName, reason }, "graphql-jit: this operation runs on graphql-js");
    return { fallback: reason };
  }
  try {
    // No customJSONSerializer: its generated stringifier refuses custom scalars
    // (graphql-jit#216). Apollo stringifies the answer; leaf values still go
    // through each scalar's and enum's own `serialize` (disableLeafSerialization stays off).
    const compiled = compileQuery(schema, document, operationName);
    if (isCompiledQuery(compiled)) return { compiled };
    logger.warn({ operationName, errors: compiled.errors?.map((e) => e.message) }, "graphql-jit could not compile an operation; it runs on graphql-js");
  } catch (error) {
    logger.warn({ operationName, err: error }, "graphql-jit threw compiling an operation; it runs on graphql-js");
  }
  return { fallback: "compile-error" };
}

function fallbackReason(schema: GraphQLSchema, document: DocumentNode, kind: string | undefined): PlanFallback | undefined {
  if (!kind) return "no-operation";
  if (kind === "subscription") return "subscription";
  if (kind === "mutation") return "mutation";
  if (selectsAbstractType(schema, document)) return "abstract-type";
  return undefined;
}

/** Whether any field of the document (its fragments included) returns a union or an interface. */
function selectsAbstractType(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const type = typeInfo.getType();
        if (type && isAbstractType(getNamedType(type))) {
          found = true;
          return BREAK;
        }
        return undefined;
      },
    }),
  );
  return found;
}

/**
 * When errors in non-null fields null the same nullable ancestor (two jobs'
 * failing Job.logs under one nullable vm), graphql-js reports the first only:
 * the ancestor's completion rejects once. graphql-jit reports every one. An
 * error's position is the deepest part of its path still in the answer: the
 * null it caused (or its own null, for a nullable field). Residual difference:
 * a nullable field's error inside a subtree that another error nulled later
 * shares that position and hides the later error, where graphql-js lists both.
 */
function firstErrorPerNulledPosition(data: unknown, errors: readonly GraphQLError[]): GraphQLError[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    if (!error.path) return true;
    let value = data;
    let depth = 0;
    for (const key of error.path) {
      if (value === null || typeof value !== "object" || !(key in value)) break;
      value = (value as Record<string | number, unknown>)[key];
      depth++;
    }
    const position = JSON.stringify(error.path.slice(0, depth));
    if (seen.has(position)) return false;
    seen.add(position);
    return true;
  });
}

/**
 * graphql-jit's errors are look-alikes of graphql-js's: their `extensions` is
 * undefined when the resolver's error had none, and Apollo reads
 * `error.extensions.code` (it would answer "Internal server error" in place of
 * our mapping). Rebuilt as graphql-js builds a resolver's error: the message,
 * the path, the original error and its extensions; the locations graphql-jit
 * computed from the same field nodes.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions ?? undefined,
  });
  if (error.locations) Object.defineProperty(rebuilt, "locations", { value: error.locations, enumerable: true });
  return rebuilt;
}
