// The HTTP application: GraphQL at /graphql, REST under /api, health, metrics, and a JSON 404.
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type Express } from "express";
import type { Server } from "node:http";
import type { Container } from "./container.js";
import { createContextFactory, type GraphQLContext } from "./graphql/context.js";
import { createFormatError } from "./graphql/errors.js";
import { buildGraphQLSchema } from "./graphql/schema.js";
import { createHealthRouter } from "./health/health.routes.js";
import { createMetricsRouter, httpMetricsMiddleware } from "./metrics/metrics.routes.js";
import { requestLog } from "./infra/request-log.js";
import { createRestErrorHandler, notFoundHandler } from "./rest/errors.js";
import { REST_PREFIX } from "./rest/openapi.js";
import { createRestRouter } from "./rest/router.js";
import { playgroundIntro } from "./graphql/playground-intro.js";

export const GRAPHQL_PATH = "/graphql";
/** GraphQL request bodies: generous for appendJobLogs batches, bounded for everything else. */
export const GRAPHQL_BODY_LIMIT = "2mb";

export interface App {
  express: Express;
  apollo: ApolloServer<GraphQLContext>;
}

export async function createApp(container: Container, httpServer: Server): Promise<App> {
  const { config, logger } = container;
  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildGraphQLSchema(),
    introspection: !config.isProduction,
    formatError: createFormatError(logger),
    includeStacktraceInErrorResponses: false,
    // src/main.ts owns shutdown (drain HTTP, flush the cache writer, stop the stores).
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // Apollo installs these unless told not to. Cache control hooks every
      // resolved field (a Job with 200 log lines resolves over a thousand) to
      // compute a Cache-Control header nobody reads: POSTed GraphQL is not
      // cached by HTTP caches. We report to no Apollo service.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
    ],
  });
  await apollo.start();

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(requestLog(logger, GRAPHQL_PATH));
  app.use(httpMetricsMiddleware(container.metrics));
  app.use(createHealthRouter(container.stores));
  app.use(createMetricsRouter(container.metrics));
  if (!config.isProduction) {
    // ruru (the playground, ~200 MB with GraphiQL's editor) is a development
    // dependency, like the playground itself: a production install lacks it.
    const playground = await import("./graphql/playground.js").catch((error: unknown) => {
      logger.warn({ err: error }, "playground not installed (ruru is a development dependency); serving without it");
      return undefined;
    });
    if (playground) app.use(playground.createPlaygroundRouter(GRAPHQL_PATH, playgroundIntro({ demo: config.demo })));
  }
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: GRAPHQL_BODY_LIMIT }),
    expressMiddleware(apollo, { context: createContextFactory(container) }),
  );
  app.use(REST_PREFIX, createRestRouter(container));
  app.use(notFoundHandler);
  app.use(createRestErrorHandler(logger));
  return { express: app, apollo };
}
