// GraphQL subscriptions over WebSocket (graphql-ws, the graphql-transport-ws
// protocol) on the HTTP server's own port and path. The token comes in the
// connection_init payload; the socket closes when it stops being valid.
import type { Server } from "node:http";
import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { resolveActor } from "../auth/actor.js";
import type { Actor } from "../auth/permissions.js";
import type { Container } from "../container.js";
import { documentCostError, documentParseOptions, documentValidationRules } from "../graphql/document-limits.js";
import { createFormatError } from "../graphql/errors.js";
import { createLoaders, createServiceLoaders } from "../graphql/loaders.js";
import type { GraphQLContext } from "../graphql/context.js";
import { AppError, ErrorCode } from "../shared/errors.js";

export const WS_LIMITS = {
  /** Subscriptions one socket may hold at once. */
  subscriptionsPerSocket: 100,
  /** A socket that has not sent connection_init by then is closed (4408). */
  connectionInitMs: 10_000,
  /** How often a socket's token and user are checked again (expiry, erasure, demotion). */
  recheckMs: 30_000,
};

export const CLOSE = { unauthorized: 4401, forbidden: 4403 } as const;

/** What a socket keeps besides graphql-ws's own `socket` and `request`. */
type SocketExtra = {
  actor: Actor;
  recheck: NodeJS.Timeout;
};

/** Apollo's code for a parse or validation failure, which graphql-js's own errors lack. */
function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions.code) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
}

export interface GraphQLWebSocket {
  /** Closes every socket with 1001 (clients reconnect elsewhere) and stops accepting new ones. */
  close(): Promise<void>;
}

export function attachGraphQLWebSocket(httpServer: Server, path: string, schema: GraphQLSchema, container: Container, limits = WS_LIMITS): GraphQLWebSocket {
  const { config, logger, tokens, repositories, services } = container;
  const formatError = createFormatError(logger, { hideSuggestions: config.isProduction });
  const wss = new WebSocketServer({ server: httpServer, path });
  const who = (authorization: unknown) => resolveActor(typeof authorization === "string" ? authorization : undefined, tokens, createLoaders(repositories).userById, logger);

  const server = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      schema,
      connectionInitWaitTimeout: limits.connectionInitMs,
      onConnect: async (ctx) => {
        const { socket } = ctx.extra;
        const authorization = ctx.connectionParams?.Authorization ?? ctx.connectionParams?.authorization;
        const actor = await who(authorization).catch(() => null);
        if (!actor) {
          socket.close(CLOSE.unauthorized, "Unauthorized: connection_init needs { Authorization: 'Bearer <token>' } with a valid token");
          return false;
        }
        ctx.extra.actor = actor;
        // A token that expires, or whose user is erased or demoted, ends the socket within recheckMs.
        ctx.extra.recheck = setInterval(async () => {
          const now = await who(authorization).catch((error: unknown) =>
            error instanceof AppError && error.code === ErrorCode.UNAUTHENTICATED ? null : ctx.extra.actor,
          );
          if (!now) socket.close(CLOSE.unauthorized, "Unauthorized: the token expired or its user is gone");
          else if (now.role !== actor.role) socket.close(CLOSE.forbidden, "Forbidden: the user's role changed; reconnect");
        }, limits.recheckMs);
        ctx.extra.recheck.unref();
        return true;
      },
      onClose: (ctx) => clearInterval(ctx.extra.recheck),
      // The same document limits as HTTP (src/graphql/document-limits.ts), before anything runs.
      onSubscribe: (ctx, _id, payload) => {
        // graphql-ws has already entered this subscription's id.
        if (Object.keys(ctx.subscriptions).length > limits.subscriptionsPerSocket) {
          return [
            new GraphQLError(`at most ${limits.subscriptionsPerSocket} subscriptions per socket`, {
              extensions: { code: ErrorCode.BAD_USER_INPUT, limit: "subscriptionsPerSocket" },
            }),
          ];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query, documentParseOptions(config.documentLimits));
        } catch (error) {
          return [withCode(error instanceof GraphQLError ? error : new GraphQLError(String(error)), "GRAPHQL_PARSE_FAILED")];
        }
        const invalid = validate(schema, document, [...specifiedRules, ...documentValidationRules(config.documentLimits)]);
        if (invalid.length > 0) return invalid.map((error) => withCode(error, "GRAPHQL_VALIDATION_FAILED"));
        const tooCostly = documentCostError(config.documentLimits, schema, document, payload.variables ?? undefined, payload.operationName);
        if (tooCostly) return [tooCostly];
        // contextValue and the rest come from the options above.
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
      },
      // Loaders only when a field needs them (jobChanged's nested fields): a tail's thousand idle subscriptions need none.
      context: (ctx): GraphQLContext => {
        const actor = ctx.extra.actor ?? null;
        let loaders: GraphQLContext["loaders"] | undefined;
        return {
          actor,
          services,
          clientIp: ctx.extra.request.socket.remoteAddress,
          get loaders() {
            loaders ??= { ...createLoaders(repositories), ...createServiceLoaders(services, actor) };
            return loaders;
          },
        };
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
    },
    wss,
  );

  return {
    // graphql-ws closes each socket with 1001 "Going away" and stops the WebSocket server.
    close: async () => {
      services.liveTail.closeAll();
      await server.dispose();
    },
  };
}
