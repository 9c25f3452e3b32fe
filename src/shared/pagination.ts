// Cursor connections shared by every list. A cursor is the sort key of the last
// item seen, not a store's offset or token, so a page served by PostgreSQL can
// continue in DynamoDB and back.
import { z } from "zod";
import { badInput } from "./errors.js";

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}
export interface Edge<T> {
  cursor: string;
  node: T;
}
/** The shape of every list a service returns; GraphQL returns it as is, REST flattens it. */
export interface Page<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
}

export function encodeCursor(kind: string, key: Record<string, string>): string {
  return Buffer.from(JSON.stringify({ k: kind, ...key }), "utf8").toString("base64url");
}

/** Decodes a cursor of `kind` into `shape`; anything else is BAD_USER_INPUT. */
export function decodeCursor<S extends z.ZodRawShape>(kind: string, cursor: string, shape: S): z.infer<z.ZodObject<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw badInput(`after: malformed cursor "${cursor.slice(0, 80)}"`, [{ path: "after", message: "malformed cursor" }]);
  }
  const parsed = z.object({ k: z.literal(kind), ...shape }).safeParse(raw);
  if (!parsed.success) {
    throw badInput(`after: not a cursor of this list`, [{ path: "after", message: "not a cursor of this list" }]);
  }
  const { k: _kind, ...key } = parsed.data as Record<string, unknown>;
  return key as z.infer<z.ZodObject<S>>;
}

/** Validates a requested page size against the list's cap. */
export function pageSize(first: number | null | undefined, fallback: number, max: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw badInput(`first must be between 1 and ${max}, got ${size}`, [
      { path: "first", message: `must be between 1 and ${max}` },
    ]);
  }
  return size;
}

/**
 * An edge whose cursor is encoded when read: nested lists are mostly asked for
 * their nodes only, and a page of log lines would otherwise encode a thousand
 * cursors nobody reads.
 */
class LazyEdge<T> implements Edge<T> {
  constructor(
    readonly node: T,
    private readonly cursorOf: (item: T) => string,
  ) {}

  get cursor(): string {
    return this.cursorOf(this.node);
  }
}

/** Builds a page from up to size+1 fetched items (the extra one only says a next page exists). */
export function toPage<T>(items: T[], size: number, cursorOf: (item: T) => string): Page<T> {
  const count = Math.min(items.length, size);
  const edges: Edge<T>[] = new Array(count);
  for (let i = 0; i < count; i++) edges[i] = new LazyEdge(items[i]!, cursorOf);
  return {
    edges,
    pageInfo: { hasNextPage: items.length > size, endCursor: count > 0 ? cursorOf(items[count - 1]!) : null },
  };
}
