// /api/jobs: the legacy REST routes over JobService (DynamoDB with the
// PostgreSQL cache in front, as GraphQL's job, jobs and setJobStatus).
import { z } from "zod";
import { OPERATIONS } from "../auth/operations.js";
import { pageArgs, pageQuery, pageSchema, presentPage } from "../rest/pagination.js";
import { defineRoute } from "../rest/route.js";
import { notFound } from "../shared/errors.js";
import { jobJsonSchema, presentJob } from "./job.presenter.js";
import { jobFilterFieldsSchema, jobIdSchema, readConsistencySchema, setJobStatusSchema } from "./job.schema.js";
import { JOB_PAGE } from "./job.service.js";

const jobParams = z.object({ jobId: jobIdSchema });
// Strict ISO 8601 in the query string, as GraphQL's DateTimeISO; the service turns it into a Date.
const instant = (description: string) => z.iso.datetime({ offset: true }).optional().meta({ description });

/** GraphQL's JobFilter as query parameters (also the log search's, src/search/log-search.routes.ts). */
export const jobFilterQuery = {
  vmId: jobFilterFieldsSchema.shape.vmId.unwrap().unwrap().optional(),
  status: jobFilterFieldsSchema.shape.status.unwrap().unwrap().optional(),
  startedAfter: instant("Only jobs started strictly after this instant."),
  startedBefore: instant("Only jobs started strictly before this instant."),
};

export const JOB_ROUTES = [
  defineRoute({
    operationId: "listJobs",
    method: "get",
    path: "/jobs",
    tag: "jobs",
    summary: "Jobs across VMs, newest first; every filter is optional.",
    auth: OPERATIONS.jobs,
    request: {
      query: z.object({
        ...jobFilterQuery,
        ...pageQuery(JOB_PAGE.max),
      }),
    },
    success: { status: 200, description: "A page of jobs.", schema: pageSchema(jobJsonSchema) },
    handler: async ({ actor, services, query }) => {
      const { vmId, status, startedAfter, startedBefore } = query;
      const filter = { vmId, status, startedAfter, startedBefore };
      return presentPage(await services.jobs.list(actor, { filter, ...pageArgs(query, JOB_PAGE.max) }), presentJob);
    },
  }),

  defineRoute({
    operationId: "getJob",
    method: "get",
    path: "/jobs/{jobId}",
    tag: "jobs",
    summary: "One job: from the cache first (`consistency=cache`, the default) or strongly consistent from DynamoDB (`strong`).",
    auth: OPERATIONS.job,
    request: { params: jobParams, query: z.object({ consistency: readConsistencySchema.optional() }) },
    success: { status: 200, description: "The job.", schema: jobJsonSchema },
    errors: [404],
    handler: async ({ actor, services, params, query }) => {
      const job = await services.jobs.get(actor, params.jobId, query.consistency);
      if (!job) throw notFound("job", params.jobId);
      return presentJob(job);
    },
  }),

  defineRoute({
    operationId: "setJobStatus",
    method: "patch",
    path: "/jobs/{jobId}",
    tag: "jobs",
    summary: "Finish a job: `running` moves to `success` or `failed`, once (409 otherwise).",
    auth: OPERATIONS.setJobStatus,
    request: { params: jobParams, body: setJobStatusSchema.pick({ status: true }).meta({ id: "SetJobStatus" }) },
    success: { status: 200, description: "The job as stored.", schema: jobJsonSchema },
    errors: [404, 409],
    handler: async ({ actor, services, params, body }) => presentJob(await services.jobs.setStatus(actor, params.jobId, body.status)),
  }),
];
