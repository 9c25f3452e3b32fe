// The limits every GraphQL document meets before it runs, on every transport.
// HTTP (src/app.ts) takes `parseOptions` and `validationRules` into Apollo and
// checks `documentCostError` before the actor is resolved (src/graphql/request-guard.ts);
// a WebSocket transport (graphql-ws) plugs the same three into its
// `onSubscribe`: parse with `parseOptions`, `validate` with the rules, then the cost.
// The rules are GraphQL Armor's (Escape), as the OWASP GraphQL cheat sheet advises;
// the cost is graphql-query-complexity with our estimator, because Armor's cost
// rule does not know that a list field returns `first` items.
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import {
  getNamedType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isListType,
  isNonNullType,
  type ASTNode,
  type DocumentNode,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type ValidationContext,
  type ValidationRule,
  visit,
} from "graphql";
import { getComplexity, type ComplexityEstimator } from "graphql-query-complexity";
import type { DocumentLimits } from "../config/env.js";

/** A list field without `first` (UserDataExport.commands): counted as this many items. */
export const UNPAGED_LIST_ITEMS = 100;

/** graphql-js counts tokens while parsing and aborts past the limit (GRAPHQL_PARSE_FAILED, 400). */
export function documentParseOptions(limits: DocumentLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

/** Depth, aliases and directives: validation rules (GRAPHQL_VALIDATION_FAILED, 400), naming the limit. */
export function documentValidationRules(limits: DocumentLimits): ValidationRule[] {
  // Reported as validation errors, not thrown (Armor's default throws, which Apollo answers with a 500).
  const refusal = {
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
  };
  return [
    maxDepthRule({ n: limits.maxDepth, ...refusal }),
    maxAliasesRule({ n: limits.maxAliases, ...refusal }),
    maxDirectivesRule({ n: limits.maxDirectives, ...refusal }),
  ] as ValidationRule[];
}

const unwrap = (type: GraphQLOutputType): GraphQLOutputType => (isNonNullType(type) ? type.ofType : type);

/**
 * Each field costs 1 plus its selection; a field with a `first` argument (every
 * connection) multiplies its selection by `first` (its default when absent, as
 * the schema declares it); another list field by UNPAGED_LIST_ITEMS, except a
 * connection's `edges`, already counted by its `first`. Introspection is free:
 * it reads no store, and production turns it off.
 */
const estimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (field.name.startsWith("__")) return 0;
  if ("first" in args) {
    const first = typeof args.first === "number" && args.first > 0 ? args.first : 1;
    return 1 + first * childComplexity;
  }
  const type = unwrap(field.type);
  if (isListType(type) && field.name !== "edges" && !getNamedType(type).name.startsWith("__")) {
    return 1 + UNPAGED_LIST_ITEMS * childComplexity;
  }
  return 1 + childComplexity;
};

/** What is kept per parsed document: the variables a cost can read, and the costs of the few shapes they take. */
interface KeptCosts {
  /** Those in a `first` argument or an @include / @skip condition. */
  costVariables: Set<string>;
  /** By costKey; past COSTS_PER_DOCUMENT, the oldest is forgotten. */
  costs: Map<string, number>;
}

/** Kept per schema and parsed document (Apollo's document store hands the same DocumentNode for the same text). */
const keptCosts = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, KeptCosts>>();
const COSTS_PER_DOCUMENT = 64;

function keptFor(schema: GraphQLSchema, document: DocumentNode): KeptCosts {
  let perSchema = keptCosts.get(schema);
  if (!perSchema) keptCosts.set(schema, (perSchema = new WeakMap()));
  let kept = perSchema.get(document);
  if (kept) return kept;
  const costVariables = new Set<string>();
  const collect = (node: ASTNode) => visit(node, { Variable: (variable) => void costVariables.add(variable.name.value) });
  visit(document, {
    Argument: (argument) => void (argument.name.value === "first" && collect(argument.value)),
    Directive: (directive) => void ((directive.name.value === "include" || directive.name.value === "skip") && collect(directive)),
  });
  perSchema.set(document, (kept = { costVariables, costs: new Map() }));
  return kept;
}

/**
 * What the cost of `operation` can depend on in these variables: the values of
 * its cost variables, and of every other variable only whether it is absent,
 * null or set (all graphql-js's argument coercion reads of an already coerced
 * variable). So requests that differ only in ids or payloads share one cost.
 */
function costKey(costVariables: Set<string>, operation: OperationDefinitionNode, coerced: Record<string, unknown>): string {
  const parts = [operation.name?.value ?? ""];
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const value = coerced[name];
    parts.push(costVariables.has(name) ? `${name}=${JSON.stringify(value)}` : `${name}:${!(name in coerced) ? "absent" : value === null ? "null" : "set"}`);
  }
  return parts.join("\u0000");
}

/**
 * The document's cost with these variables. Throws graphql-js's error for
 * variables that do not coerce. A cost depends on nothing but the schema, the
 * document, the operation and its cost variables (costKey), so it is computed
 * once per combination: the walk over the document was 3% of a cached read's
 * CPU, and S2n's 200 VM ids had made a key of all variables miss.
 */
export function documentCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
): number {
  const walk = () => getComplexity({ schema, query: document, variables, operationName: operationName ?? undefined, estimators: [estimator] });
  const operation = getOperationAST(document, operationName);
  // No such operation (nothing to count), or several and no name (the walk counts them all): walked each time, not kept.
  if (!operation) return walk();
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  // The walk reports the last of these errors (graphql-query-complexity's getComplexity).
  if (coerced.errors) throw coerced.errors[coerced.errors.length - 1]!;
  const { costVariables, costs } = keptFor(schema, document);
  const key = costKey(costVariables, operation, coerced.coerced);
  const known = costs.get(key);
  if (known !== undefined) return known;
  const cost = walk();
  if (costs.size >= COSTS_PER_DOCUMENT) costs.delete(costs.keys().next().value!);
  costs.set(key, cost);
  return cost;
}

/** Null when within the limit; else the error to answer with (HTTP 400). */
export function documentCostError(
  limits: DocumentLimits,
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
): GraphQLError | null {
  let cost: number;
  try {
    cost = documentCost(schema, document, variables, operationName);
  } catch (error) {
    // Variables that do not coerce: execution would refuse them the same way.
    const message = error instanceof Error ? error.message : String(error);
    return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", http: { status: 400 } } });
  }
  if (cost <= limits.maxCost) return null;
  return new GraphQLError(
    `Query cost limit of ${limits.maxCost} exceeded, found ${cost} (a list field counts its selection \`first\` times).`,
    { extensions: { code: "GRAPHQL_VALIDATION_FAILED", http: { status: 400 } } },
  );
}
