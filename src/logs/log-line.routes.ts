// /api/logs: the legacy REST routes over LogLineService. Appends take the
// larger body limit (LOG_BODY_LIMIT): log batches are what is big here.
import { z } from "zod";
import { OPERATIONS } from "../auth/operations.js";
import { pageArgs, pageQuery, pageSchema, presentPage } from "../rest/pagination.js";
import { defineRoute, LOG_BODY_LIMIT } from "../rest/route.js";
import { jobIdSchema } from "../jobs/job.schema.js";
import { appendLogsResultJsonSchema, logLineJsonSchema, presentAppendLogs, presentLogLine } from "./log-line.presenter.js";
import { appendLogsSchema, logsQuerySchema } from "./log-line.schema.js";
import { LOG_PAGE } from "./log-line.service.js";

const jobParams = z.object({ jobId: jobIdSchema });

export const LOG_ROUTES = [
  defineRoute({
    operationId: "listLogs",
    method: "get",
    path: "/logs/{jobId}",
    tag: "logs",
    summary: "A job's log lines, oldest first; `stream` and `since` (inclusive) filter.",
    auth: OPERATIONS.logs,
    request: {
      params: jobParams,
      query: z.object({
        stream: logsQuerySchema.shape.stream.unwrap().unwrap().optional(),
        since: logsQuerySchema.shape.since.unwrap().unwrap().optional(),
        ...pageQuery(LOG_PAGE.max),
      }),
    },
    success: { status: 200, description: "A page of log lines.", schema: pageSchema(logLineJsonSchema) },
    errors: [404],
    handler: async ({ actor, services, params, query }) =>
      presentPage(
        await services.logs.list(actor, params.jobId, { stream: query.stream, since: query.since, ...pageArgs(query, LOG_PAGE.max) }),
        presentLogLine,
      ),
  }),

  defineRoute({
    operationId: "appendLogs",
    method: "post",
    path: "/logs/{jobId}",
    tag: "logs",
    summary: "Append lines to a job, in order; each gets a unique microsecond `ts` (its own, moved later on a collision, or the time of receipt).",
    description: "At most 5,000 lines of 16 KiB each, and a 1 MiB body. The whole batch is validated before anything is written.",
    auth: OPERATIONS.appendJobLogs,
    bodyLimit: LOG_BODY_LIMIT,
    request: { params: jobParams, body: appendLogsSchema.pick({ lines: true }).meta({ id: "AppendLogs" }) },
    success: { status: 201, description: "How many lines were stored and the last one's ts.", schema: appendLogsResultJsonSchema },
    errors: [404],
    handler: async ({ actor, services, params, body }) =>
      presentAppendLogs(await services.logs.append(actor, { jobId: params.jobId, lines: body.lines })),
  }),
];
