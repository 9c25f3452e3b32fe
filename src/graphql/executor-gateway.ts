// Apollo Server 5 has no `executor` option. Its gateway interface is the one
// place it hands execution to someone else, after everything else of its
// request pipeline (parse, validation rules, didResolveOperation — our cost
// check and authentication —, persisted queries) and before formatError and
// stringifying: a "gateway" of one static schema whose executor is ours.
//
// With `gateway` Apollo takes its schema from onSchemaLoadOrUpdate, not from
// the `schema` option (the two exclude each other), so the gateway reports
// the schema once, at start, and never an update.
import type { ApolloServerOptionsWithGateway, BaseContext } from "@apollo/server";
import { printSchema, type GraphQLSchema } from "graphql";
import type { Executor } from "./compiled-executor.js";

type Gateway = ApolloServerOptionsWithGateway<BaseContext>["gateway"];

export function executorGateway(schema: GraphQLSchema, executor: Executor): Gateway {
  return {
    onSchemaLoadOrUpdate(callback) {
      // Read only by Apollo's schema reporting (off: we report to no Apollo service).
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async load() {
      return {
        executor: (requestContext) =>
          executor({
            document: requestContext.document,
            // As sent, like Apollo's own execute call (not the resolved name: null for an anonymous operation).
            operationName: requestContext.request.operationName,
            variables: requestContext.request.variables,
            // The request's own context object: authenticate() has set its actor and loaders on it.
            contextValue: requestContext.context,
          }),
      };
    },
    async stop() {},
  };
}
