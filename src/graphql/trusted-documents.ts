// Trusted documents (TRUSTED_DOCUMENTS): only the documents of a manifest run.
// The manifest is GraphQL Code Generator's persisted-documents.json: a JSON
// object from the sha256 hex of each document's exact text (optionally
// "sha256:"-prefixed) to that text. A request names its document by
// `documentId`, by `extensions.persistedQuery.sha256Hash` (Apollo's shape), or
// sends the text itself, accepted only when its sha256 is in the manifest.
// Anything else is refused before Apollo parses anything
// (src/graphql/trusted-documents.middleware.ts). This file has no framework
// imports: the config module loads the manifest at start.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

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

export interface GraphQLParams {
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
