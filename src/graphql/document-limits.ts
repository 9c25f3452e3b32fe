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
  GraphQLError,
  isListType,
  isNonNullType,
  type DocumentNode,
  type GraphQLOutputType,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationContext,
  type ValidationRule,
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

/** Costs kept per schema and parsed document (Apollo's document store hands the same DocumentNode for the same text). */
const knownCosts = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, number>>>();
/** Per document: the variables a client sends take few shapes; past this, the oldest cost is forgotten. */
const COSTS_PER_DOCUMENT = 64;
/** Variables longer than this as JSON (an append's lines) are not kept: the walk costs less than keeping them. */
const MAX_KEPT_VARIABLES = 1_024;

/**
 * The document's cost with these variables. Throws graphql-js's error for
 * variables that do not coerce. A cost depends on nothing but the schema, the
 * document, the operation and the variables, so it is computed once per
 * combination (the walk over the document was 3% of a cached read's CPU).
 */
export function documentCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
): number {
  const key = `${operationName ?? ""}\u0000${JSON.stringify(variables ?? {})}`;
  let perSchema = knownCosts.get(schema);
  if (!perSchema) knownCosts.set(schema, (perSchema = new WeakMap()));
  let costs = perSchema.get(document);
  const known = costs?.get(key);
  if (known !== undefined) return known;
  const cost = getComplexity({ schema, query: document, variables, operationName: operationName ?? undefined, estimators: [estimator] });
  if (key.length <= MAX_KEPT_VARIABLES) {
    if (!costs) perSchema.set(document, (costs = new Map()));
    if (costs.size >= COSTS_PER_DOCUMENT) costs.delete(costs.keys().next().value!);
    costs.set(key, cost);
  }
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
