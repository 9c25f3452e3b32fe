import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from "type-graphql";
import { describeOperation, OPERATIONS } from "../auth/operations.js";
import { Allowed } from "../graphql/allowed.js";
import type { GraphQLContext } from "../graphql/context.js";
import type { Job } from "../jobs/job.model.js";
import { JobFilterInputType, JobType } from "../jobs/job.type.js";
import { SEARCH_PAGE } from "./log-search.service.js";
import { LogMatchConnection, LogSearchInputType } from "./log-search.type.js";

@Resolver(() => JobType)
export class JobLogSearchResolver {
  @FieldResolver(() => LogMatchConnection, { description: "This job's lines that match, oldest first." })
  searchLogs(
    @Root() job: Job,
    @Arg("query", () => LogSearchInputType) query: LogSearchInputType,
    @Arg("first", () => Int, { nullable: true, defaultValue: SEARCH_PAGE.job.default }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.search.searchJob(ctx.actor, job.id, { query, first, after }, job);
  }
}

@Resolver()
export class LogSearchResolver {
  @Allowed(OPERATIONS.searchLogs)
  @Query(() => LogMatchConnection, {
    description: describeOperation(
      OPERATIONS.searchLogs,
      "Matching lines of every job that `filter` selects and that started within the cache's retention (CACHE_TTL_DAYS): newest job first, then oldest line first. Older jobs are not searched: search them one by one with Job.searchLogs.",
    ),
  })
  searchLogs(
    @Arg("query", () => LogSearchInputType) query: LogSearchInputType,
    @Arg("filter", () => JobFilterInputType, { nullable: true }) filter: JobFilterInputType | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: SEARCH_PAGE.all.default }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.search.searchAll(ctx.actor, { query, filter, first, after });
  }
}
