// GraphQL over HTTP: Apollo Server's one HTTP entry point
// (executeHTTPGraphQLRequest) on node:http's own request and response.
//
// POST /graphql, which is every query and mutation a client sends, does not
// go through Express: its router, the prototypes it swaps on each request and
// response, and res.send cost about a fifth of a cached read's CPU (bench/README,
// "POST /graphql without Express"). The same middleware runs as in front of
// Express's routes, in the same order (request log, security headers, CORS,
// metrics: `shared`), then the route's own (deadline, JSON body, trusted
// documents), then Apollo. Everything else under /graphql (GET queries, the
// playground) stays on Express, whose mount of the path runs `serveRoute`, so
// the route and its one adapter to Apollo are the same whichever way a request came.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer } from "@apollo/server";
import express from "express";
import proxyaddr from "proxy-addr";
import type { Logger } from "../infra/logger.js";
import { runMiddleware, type NodeMiddleware } from "../infra/middleware.js";
import { responseDeadline } from "../infra/response-deadline.js";
import type { RoutedRequest } from "../metrics/metrics.routes.js";
import { bodyParserError } from "../rest/errors.js";
import { ErrorCode } from "../shared/errors.js";
import type { ContextFactory, GraphQLContext } from "./context.js";
import { sendGraphQLError } from "./errors.js";
import { trustedDocumentsMiddleware } from "./trusted-documents.middleware.js";
import type { TrustedDocuments } from "./trusted-documents.js";

type Trust = Parameters<typeof proxyaddr>[1];
type GraphQLHttpRequest = RoutedRequest & { body?: unknown };

export interface GraphQLHttpOptions {
  path: string;
  apollo: ApolloServer<GraphQLContext>;
  context: ContextFactory;
  logger: Logger;
  /** The middleware every HTTP request meets first, as Express's app runs it. */
  shared: readonly NodeMiddleware[];
  /** Express's compiled "trust proxy" (app.get("trust proxy fn")): req.ip's rule, so the client's address is Express's. */
  trustProxy: Trust;
  requestTimeoutMs: number;
  bodyLimit: string;
  trustedDocuments?: TrustedDocuments;
}

export interface GraphQLHttp {
  /** Whether `serve` takes this request (POST to the path itself); Express gets the others. */
  takes(req: IncomingMessage): boolean;
  /** POST /graphql, whole: `shared`, then what `serveRoute` does. */
  serve(req: IncomingMessage, res: ServerResponse): void;
  /** The route itself (deadline, body, trusted documents, Apollo), for Express's mount at the path, which ran `shared`. */
  serveRoute(req: IncomingMessage, res: ServerResponse): void;
}

export function createGraphQLHttp(options: GraphQLHttpOptions): GraphQLHttp {
  const { path, apollo, context, logger, trustProxy } = options;
  const route: NodeMiddleware[] = [
    responseDeadline(options.requestTimeoutMs, (res, message) => sendGraphQLError(res, 503, ErrorCode.TIMEOUT, message)),
    // body-parser, as express.json is: the same limits, media types and charsets on both ways in.
    express.json({ limit: options.bodyLimit }) as NodeMiddleware,
    ...(options.trustedDocuments ? [trustedDocumentsMiddleware(options.trustedDocuments)] : []),
  ];
  // The metrics label ("/graphql") Express's mount of the route would have left.
  const mount: NodeMiddleware = (req: RoutedRequest, _res, next) => {
    req.baseUrl = path;
    next();
  };

  const execute = async (req: GraphQLHttpRequest, res: ServerResponse): Promise<void> => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const url = req.url ?? "";
    const query = url.indexOf("?");
    const answer = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? "GET").toUpperCase(), headers, search: query === -1 ? "" : url.slice(query), body: req.body },
      context: () => context({ clientIp: proxyaddr(req, trustProxy), authorization: req.headers.authorization }),
    });
    // The deadline answered TIMEOUT meanwhile: this late answer is dropped.
    if (res.headersSent) return;
    for (const [name, value] of answer.headers) res.setHeader(name, value);
    res.statusCode = answer.status ?? 200;
    if (answer.body.kind === "complete") {
      res.end(answer.body.string);
      return;
    }
    for await (const chunk of answer.body.asyncIterator) res.write(chunk);
    res.end();
  };

  /** A body the parser refused (400, 413, 415), or a fault of ours (500): a GraphQL error answer. */
  const fail = (error: unknown, res: ServerResponse) => {
    if (res.headersSent) {
      logger.debug({ err: error }, "late response dropped");
      return;
    }
    const refused = bodyParserError(error as { type?: string });
    if (refused) return sendGraphQLError(res, (error as { status?: number }).status ?? 400, refused.code, refused.message);
    logger.error({ err: error }, "request failed");
    sendGraphQLError(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error");
  };

  const serveThrough = (chain: readonly NodeMiddleware[]) => (req: IncomingMessage, res: ServerResponse) =>
    runMiddleware(chain, req, res, (error) => {
      if (error) return fail(error, res);
      execute(req, res).catch((thrown: unknown) => fail(thrown, res));
    });

  return {
    takes: (req) => req.method === "POST" && (req.url === path || req.url?.startsWith(`${path}?`) === true),
    serve: serveThrough([...options.shared, mount, ...route]),
    serveRoute: serveThrough(route),
  };
}
