// The last checks before a GraphQL operation runs, in this order: the
// document's cost (its depth, aliases, directives and tokens were checked by
// parsing and validation), then the actor (a user lookup). One hook, because
// Apollo runs every plugin's didResolveOperation at once: a refused document
// must not have started a store call.
import type { ApolloServerPlugin } from "@apollo/server";
import type { GraphQLSchema } from "graphql";
import type { DocumentLimits } from "../config/env.js";
import type { Container } from "../container.js";
import { authenticate, type GraphQLContext } from "./context.js";
import { documentCostError } from "./document-limits.js";

export function requestGuardPlugin(container: Container, schema: GraphQLSchema, limits: DocumentLimits): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, operationName, contextValue }) {
          const refused = documentCostError(limits, schema, document, request.variables, operationName);
          if (refused) throw refused;
          await authenticate(contextValue, container);
        },
      };
    },
  };
}
