// The HTTP application: GraphQL at /graphql, REST under /api, health, metrics, and a JSON 404.
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from "@apollo/server/plugin/disabled";
import cors from "cors";
import express, { type Express } from "express";
import helmet from "helmet";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Container } from "./container.js";
import { createContextFactory, type GraphQLContext } from "./graphql/context.js";
import { documentParseOptions, documentValidationRules } from "./graphql/document-limits.js";
import { createFormatError } from "./graphql/errors.js";
import { createGraphQLHttp } from "./graphql/http.js";
import type { NodeMiddleware } from "./infra/middleware.js";
import { requestGuardPlugin } from "./graphql/request-guard.js";
import { createCompiledExecutor } from "./graphql/compiled-executor.js";
import { executorGateway } from "./graphql/executor-gateway.js";
import { buildGraphQLSchema } from "./graphql/schema.js";
import { createHealthRouter } from "./health/health.routes.js";
import { createMetricsRouter, httpMetricsMiddleware } from "./metrics/metrics.routes.js";
import { requestLog } from "./infra/request-log.js";
import { createRestErrorHandler, notFoundHandler, sendError } from "./rest/errors.js";
import { responseDeadline } from "./infra/response-deadline.js";
import { ErrorCode } from "./shared/errors.js";
import { REST_PREFIX } from "./rest/openapi.js";
import { createRestRouter } from "./rest/router.js";
import { attachGraphQLWebSocket, type GraphQLWebSocket } from "./live-tail/websocket.js";
import { playgroundIntro } from "./graphql/playground-intro.js";

export const GRAPHQL_PATH = "/graphql";
/** GraphQL request bodies: generous for appendJobLogs batches, bounded for everything else. */
export const GRAPHQL_BODY_LIMIT = "2mb";

export interface App {
  /** The HTTP server's request listener: POST /graphql without Express (src/graphql/http.ts), the rest through it. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  express: Express;
  apollo: ApolloServer<GraphQLContext>;
  /** Subscriptions (the live tail) on the same port and path. */
  webSocket: GraphQLWebSocket;
}

export async function createApp(container: Container, httpServer: Server): Promise<App> {
  const { config, logger } = container;
  const schema = await buildGraphQLSchema();
  const limits = config.documentLimits;
  // GRAPHQL_EXECUTOR=jit: Apollo's pipeline as before, our compiled executor
  // at its one execution step (src/graphql/executor-gateway.ts explains the
  // gateway). graphql-js: Apollo executes, as before.
  const execution =
    config.graphqlExecutor === "jit"
      ? {
          gateway: executorGateway(
            schema,
            createCompiledExecutor(schema, { logger, observe: container.metrics.observeGraphQLExecution }),
          ),
        }
      : { schema };
  const apollo = new ApolloServer<GraphQLContext>({
    ...execution,
    // Checked before execution and before any store call (src/graphql/document-limits.ts).
    parseOptions: documentParseOptions(limits),
    validationRules: documentValidationRules(limits),
    // One operation per HTTP request: a JSON array would multiply every
    // per-request limit (and the sign-in attempts) by its length. Apollo's
    // default too; stated so it is not turned on by accident.
    allowBatchedHttpRequests: false,
    // Production: no "Did you mean …" (it spells out the schema that introspection hides).
    hideSchemaDetailsFromClientErrors: config.isProduction,
    // With trusted documents the manifest is the only registry (the middleware
    // below); otherwise Apollo's automatic persisted queries stay on.
    ...(config.trustedDocuments ? { persistedQueries: false as const } : {}),
    introspection: !config.isProduction,
    formatError: createFormatError(logger, { hideSuggestions: config.isProduction }),
    includeStacktraceInErrorResponses: false,
    // src/main.ts owns shutdown (drain HTTP, flush the cache writer, stop the stores).
    stopOnTerminationSignals: false,
    plugins: [
      requestGuardPlugin(container, schema, limits),
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
  // req.ip, which sign-in throttling counts by: the socket's address unless TRUST_PROXY names the proxies in front.
  app.set("trust proxy", config.trustProxy);
  // What every request meets first, on Express's routes and on POST /graphql alike.
  const shared: NodeMiddleware[] = [
    requestLog(logger, GRAPHQL_PATH),
    // API answers are JSON: they load nothing and are framed by nobody. The
    // playground's page sets its own policy (src/graphql/playground.ts).
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    }),
    // Off unless CORS_ORIGINS lists the browser origins (a frontend on another host) that may call the API.
    ...(config.corsOrigins
      ? [
          cors({
            origin: config.corsOrigins,
            methods: ["GET", "POST", "PATCH", "DELETE"],
            allowedHeaders: ["content-type", "authorization", "x-request-id", "apollo-require-preflight"],
            exposedHeaders: ["x-request-id", "retry-after"],
            maxAge: 600,
          }) as NodeMiddleware,
        ]
      : []),
    httpMetricsMiddleware(container.metrics),
  ];
  app.use(...shared);
  app.use(createHealthRouter(container.stores, container.doorbell));
  app.use(createMetricsRouter(container.metrics, { token: config.metricsToken }));
  if (!config.isProduction) {
    // ruru (the playground, ~200 MB with GraphiQL's editor) is a development
    // dependency, like the playground itself: a production install lacks it.
    const playground = await import("./graphql/playground.js").catch((error: unknown) => {
      logger.warn({ err: error }, "playground not installed (ruru is a development dependency); serving without it");
      return undefined;
    });
    if (playground) app.use(playground.createPlaygroundRouter(GRAPHQL_PATH, playgroundIntro({ demo: config.demo })));
  }
  // GraphQL answers carry no ETag: they are written by src/graphql/http.ts, not
  // res.send, so Express hashes none (a POSTed answer never gets a conditional
  // request). The REST routes keep theirs (GET, cacheable).
  const graphql = createGraphQLHttp({
    path: GRAPHQL_PATH,
    apollo,
    context: createContextFactory(container),
    logger,
    shared,
    trustProxy: app.get("trust proxy fn"),
    requestTimeoutMs: config.requestTimeoutMs,
    bodyLimit: GRAPHQL_BODY_LIMIT,
    trustedDocuments: config.trustedDocuments,
  });
  app.use(GRAPHQL_PATH, graphql.serveRoute);
  app.use(
    REST_PREFIX,
    responseDeadline(config.requestTimeoutMs, (res, message) => sendError(res, ErrorCode.TIMEOUT, message)),
    createRestRouter(container),
  );
  app.use(notFoundHandler);
  app.use(createRestErrorHandler(logger));
  return {
    handle: (req, res) => (graphql.takes(req) ? graphql.serve(req, res) : app(req, res)),
    express: app,
    apollo,
    webSocket: attachGraphQLWebSocket(httpServer, GRAPHQL_PATH, schema, container),
  };
}
