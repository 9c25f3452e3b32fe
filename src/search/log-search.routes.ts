// /api/logs/search and /api/logs/{jobId}/search over LogSearchService. Listed
// before LOG_ROUTES in REST_ROUTES: /logs/search must not be read as /logs/{jobId}.
import { z } from "zod";
import { OPERATIONS } from "../auth/operations.js";
import { jobFilterQuery } from "../jobs/job.routes.js";
import { jobIdSchema } from "../jobs/job.schema.js";
import { logStreamSchema } from "../logs/log-line.schema.js";
import { pageArgs, pageQuery, pageSchema, presentPage } from "../rest/pagination.js";
import { defineRoute } from "../rest/route.js";
import { logMatchJsonSchema, presentLogMatch } from "./log-search.presenter.js";
import { SEARCH_PAGE } from "./log-search.service.js";

const searchQuery = {
  q: z.string().meta({ description: "What to find: at least 3 characters, case-insensitive (ANSI escapes in the data are skipped)." }),
  regex: z
    .enum(["true", "false"], { error: 'must be "true" or "false"' })
    .optional()
    .transform((v) => v === "true")
    .meta({ description: "`true`: `q` is a regular expression of the dialect in the README (\"Log search\")." }),
  stream: logStreamSchema.optional(),
};
const text = (query: { q: string; regex: boolean; stream?: "stdout" | "stderr" }) => ({ text: query.q, regex: query.regex, stream: query.stream });

export const SEARCH_ROUTES = [
  defineRoute({
    operationId: "searchLogs",
    method: "get",
    path: "/logs/search",
    tag: "logs",
    summary: "Matching lines of every job the filter selects that started within the cache's retention (CACHE_TTL_DAYS): newest job first, then oldest line.",
    description: "Older jobs are not searched (search them one by one). A search stopped by its statement timeout answers 503 TIMEOUT.",
    auth: OPERATIONS.searchLogs,
    request: {
      query: z.object({
        ...searchQuery,
        ...jobFilterQuery,
        ...pageQuery(SEARCH_PAGE.all.max),
      }),
    },
    success: { status: 200, description: "A page of matches.", schema: pageSchema(logMatchJsonSchema) },
    errors: [503],
    handler: async ({ actor, services, query }) =>
      presentPage(
        await services.search.searchAll(actor, {
          query: text(query),
          filter: { vmId: query.vmId, status: query.status, startedAfter: query.startedAfter, startedBefore: query.startedBefore },
          ...pageArgs(query, SEARCH_PAGE.all.max),
        }),
        presentLogMatch,
      ),
  }),

  defineRoute({
    operationId: "searchJobLogs",
    method: "get",
    path: "/logs/{jobId}/search",
    tag: "logs",
    summary: "A job's matching lines, oldest first.",
    description: `Reads at most 5,000 lines a call: a page may hold fewer matches than \`limit\` with a \`nextCursor\` to read on from.`,
    auth: OPERATIONS["Job.searchLogs"],
    request: { params: z.object({ jobId: jobIdSchema }), query: z.object({ ...searchQuery, ...pageQuery(SEARCH_PAGE.job.max) }) },
    success: { status: 200, description: "A page of matches.", schema: pageSchema(logMatchJsonSchema) },
    errors: [404],
    handler: async ({ actor, services, params, query }) =>
      presentPage(await services.search.searchJob(actor, params.jobId, { query: text(query), ...pageArgs(query, SEARCH_PAGE.job.max) }), presentLogMatch),
  }),
];
