// REST lists: `?limit=&cursor=` in, `{ items, nextCursor }` out, over the same
// Page<T> (and the same cursors) the services give GraphQL.
import { z } from "zod";
import type { Page } from "../shared/pagination.js";

/** The contract's default page size for every REST list. */
export const REST_PAGE_DEFAULT = 50;

/**
 * `limit` and `cursor`, to spread into a route's query schema. `limit` above the
 * list's cap is lowered to it (the contract's "capped"), below 1 or not an
 * integer is BAD_USER_INPUT.
 */
export function pageQuery(max: number) {
  return {
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: `Page size; default ${REST_PAGE_DEFAULT}, values above ${max} are lowered to ${max}.` }),
    cursor: z
      .string()
      .min(1)
      .max(2048)
      .optional()
      .meta({ description: "The `nextCursor` of the previous page." }),
  };
}

/** The service's `first`/`after` for a REST page query. */
export function pageArgs(query: { limit?: number; cursor?: string }, max: number): { first: number; after: string | null } {
  return { first: Math.min(query.limit ?? REST_PAGE_DEFAULT, max), after: query.cursor ?? null };
}

/** `{ items, nextCursor }` from a service's page, each item through its presenter. */
export function presentPage<T, R>(page: Page<T>, present: (item: T) => R): { items: R[]; nextCursor: string | null } {
  return {
    items: page.edges.map((edge) => present(edge.node)),
    nextCursor: page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null,
  };
}

/** The documented shape of a list of `item`. */
export function pageSchema<S extends z.ZodType>(item: S) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last." }),
  });
}
