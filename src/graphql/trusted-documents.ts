// Trusted documents (TRUSTED_DOCUMENTS): only the documents of a manifest run.
// The manifest is GraphQL Code Generator's persisted-documents.json: a JSON
// object from the sha256 hex of each document's exact text (optionally
// "sha256:"-prefixed) to that text. A request names its document by
// `documentId`, by `extensions.persistedQuery.sha256Hash` (Apollo's shape), or
// sends the text itself, accepted only when its sha256 is in the manifest.
// Anything else is refused here, before Apollo parses anything.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { RequestHandler } from "express";

export type TrustedDocuments = ReadonlyMap<string, string>;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const normalizeId = (id: string) => id.replace(/^sha256:/, "").toLowerCase();

/** Reads and checks a manifest: every key must be the sha256 of its text. Throws a message naming the problem. */
export function loadTrustedDocuments(path: string): TrustedDocuments {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${path} must be a JSON object {sha256 hex of a document: its text}`);
  }
  const documents = new Map<string, string>();
  for (const [key, text] of Object.entries(parsed)) {
    if (typeof text !== "string" || sha256(text) !== normalizeId(key)) {
      throw new Error(`${path}: "${key}" is not the sha256 of its document's text`);
    }
    documents.set(normalizeId(key), text);
  }
  return documents;
}

interface GraphQLParams {
  query?: unknown;
  documentId?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } } | unknown;
}

type Resolution = { text: string } | { code: "PERSISTED_QUERY_NOT_FOUND" | "PERSISTED_QUERY_NOT_IN_LIST"; message: string };

/** The document's text, or why it is refused. */
export function resolveTrustedDocument(documents: TrustedDocuments, params: GraphQLParams): Resolution {
  const extensions = params.extensions && typeof params.extensions === "object" ? (params.extensions as { persistedQuery?: { sha256Hash?: unknown } }) : {};
  const id = params.documentId ?? extensions.persistedQuery?.sha256Hash;
  if (typeof params.query === "string") {
    const hash = sha256(params.query);
    if (!documents.has(hash) || (typeof id === "string" && normalizeId(id) !== hash)) {
      return { code: "PERSISTED_QUERY_NOT_IN_LIST", message: "only trusted documents run on this server, and this one is not among them" };
    }
    return { text: params.query };
  }
  if (typeof id === "string") {
    const text = documents.get(normalizeId(id));
    if (text === undefined) return { code: "PERSISTED_QUERY_NOT_FOUND", message: `no trusted document ${id}` };
    return { text };
  }
  return { code: "PERSISTED_QUERY_NOT_IN_LIST", message: "send a trusted document: documentId, extensions.persistedQuery.sha256Hash or its exact text" };
}

/**
 * Before Apollo: swaps the document's text in for its id (POST body, or GET
 * search parameters) and drops the id fields, so Apollo sees a plain request;
 * refuses with a GraphQL error (400) otherwise. A batch (an array) is left to
 * Apollo, which refuses it whole.
 */
export function trustedDocumentsMiddleware(documents: TrustedDocuments): RequestHandler {
  return (req, res, next) => {
    const refuse = (code: string, message: string) => res.status(400).json({ errors: [{ message, extensions: { code } }] });
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
      const url = new URL(req.url, "http://local");
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
