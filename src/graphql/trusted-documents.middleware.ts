// The HTTP side of trusted documents (src/graphql/trusted-documents.ts).
import type { IncomingMessage } from "node:http";
import type { NodeMiddleware } from "../infra/middleware.js";
import { sendGraphQLError } from "./errors.js";
import { resolveTrustedDocument, type GraphQLParams, type TrustedDocuments } from "./trusted-documents.js";

/**
 * Before Apollo: swaps the document's text in for its id (POST body, or GET
 * search parameters) and drops the id fields, so Apollo sees a plain request;
 * refuses with a GraphQL error (400) otherwise. A batch (an array) is left to
 * Apollo, which refuses it whole.
 */
export function trustedDocumentsMiddleware(documents: TrustedDocuments): NodeMiddleware {
  return (req: IncomingMessage & { body?: unknown }, res, next) => {
    const refuse = (code: string, message: string) => sendGraphQLError(res, 400, code, message);
    if (req.method === "POST") {
      if (Array.isArray(req.body) || !req.body || typeof req.body !== "object") return next();
      const resolved = resolveTrustedDocument(documents, req.body as GraphQLParams);
      if (!("text" in resolved)) return refuse(resolved.code, resolved.message);
      const { documentId: _id, extensions, ...rest } = req.body as GraphQLParams & Record<string, unknown>;
      const { persistedQuery: _pq, ...otherExtensions } = (extensions && typeof extensions === "object" ? extensions : {}) as Record<string, unknown>;
      req.body = { ...rest, query: resolved.text, ...(Object.keys(otherExtensions).length ? { extensions: otherExtensions } : {}) };
      return next();
    }
    if (req.method === "GET") {
      const url = new URL(req.url ?? "/", "http://local");
      const params = url.searchParams;
      let extensions: unknown;
      try {
        extensions = params.has("extensions") ? JSON.parse(params.get("extensions")!) : undefined;
      } catch {
        return refuse("BAD_REQUEST", "extensions is not valid JSON");
      }
      const resolved = resolveTrustedDocument(documents, {
        query: params.get("query") ?? undefined,
        documentId: params.get("documentId") ?? undefined,
        extensions,
      });
      if (!("text" in resolved)) return refuse(resolved.code, resolved.message);
      params.set("query", resolved.text);
      params.delete("documentId");
      params.delete("extensions");
      req.url = `${url.pathname}?${params}`;
      return next();
    }
    next();
  };
}
