// GraphQL subscriptions over WebSocket (graphql-ws, the graphql-transport-ws
// protocol) on the HTTP server's own port and path. The token comes in the
// connection_init payload; the socket closes when it stops being valid.
import type { Server } from "node:http";
import { GraphQLError, type GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { resolveActor } from "../auth/actor.js";
import type { Actor } from "../auth/permissions.js";
import type { Container } from "../container.js";
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

export interface GraphQLWebSocket {
  /** Closes every socket with 1001 (clients reconnect elsewhere) and stops accepting new ones. */
  close(): Promise<void>;
}

export function attachGraphQLWebSocket(httpServer: Server, path: string, schema: GraphQLSchema, container: Container, limits = WS_LIMITS): GraphQLWebSocket {
  const { logger, tokens, repositories, services } = container;
  const formatError = createFormatError(logger);
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
      onSubscribe: (ctx) => {
        // graphql-ws has already entered this subscription's id.
        if (Object.keys(ctx.subscriptions).length > limits.subscriptionsPerSocket) {
          return [
            new GraphQLError(`at most ${limits.subscriptionsPerSocket} subscriptions per socket`, {
              extensions: { code: ErrorCode.BAD_USER_INPUT, limit: "subscriptionsPerSocket" },
            }),
          ];
        }
      },
      context: (ctx): GraphQLContext => {
        const actor = ctx.extra.actor ?? null;
        const loaders = createLoaders(repositories);
        return { actor, services, loaders: { ...loaders, ...createServiceLoaders(services, actor) } };
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
