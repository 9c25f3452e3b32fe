import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { describeOperation, OPERATIONS } from "../auth/operations.js";
import { Allowed } from "../graphql/allowed.js";
import type { GraphQLContext } from "../graphql/context.js";
import { LogTimestamp } from "../graphql/scalars.js";
import { LOG_PAGE } from "../logs/log-line.service.js";
import { LogLineConnection, LogStreamEnum } from "../logs/log-line.type.js";
import { VmType } from "../vms/vm.type.js";
import type { Job } from "./job.model.js";
import { JOB_PAGE } from "./job.service.js";
import { JobConnection, JobFilterInputType, JobStatusEnum, JobType, ReadConsistencyEnum } from "./job.type.js";

@Resolver(() => JobType)
export class JobResolver {
  @Allowed(OPERATIONS.job)
  @Query(() => JobType, { description: describeOperation(OPERATIONS.job), nullable: true })
  job(
    @Arg("id", () => ID) id: string,
    @Arg("consistency", () => ReadConsistencyEnum, { nullable: true, defaultValue: ReadConsistencyEnum.CACHE })
    consistency: ReadConsistencyEnum,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.jobs.get(ctx.actor, id, consistency);
  }

  @Allowed(OPERATIONS.jobs)
  @Query(() => JobConnection, { description: describeOperation(OPERATIONS.jobs, "Jobs across VMs, newest first.") })
  jobs(
    @Arg("filter", () => JobFilterInputType, { nullable: true }) filter: JobFilterInputType | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: JOB_PAGE.default }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.jobs.list(ctx.actor, { filter, first, after });
  }

  @Allowed(OPERATIONS.setJobStatus)
  @Mutation(() => JobType, { description: describeOperation(OPERATIONS.setJobStatus, "RUNNING may move to SUCCESS or FAILED, once.") })
  setJobStatus(
    @Arg("id", () => ID) id: string,
    @Arg("status", () => JobStatusEnum) status: JobStatusEnum,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.jobs.setStatus(ctx.actor, id, status);
  }

  @FieldResolver(() => VmType, { nullable: true })
  vm(@Root() job: Job, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.vmById.load(job.vmId);
  }

  @FieldResolver(() => LogLineConnection, {
    description: "Oldest first. `after` is a cursor from this connection; `since` filters by timestamp.",
  })
  logs(
    @Root() job: Job,
    @Arg("first", () => Int, { nullable: true, defaultValue: LOG_PAGE.default }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Arg("stream", () => LogStreamEnum, { nullable: true }) stream: LogStreamEnum | null,
    @Arg("since", () => LogTimestamp, { nullable: true }) since: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.loaders.logsOfJob({ first, after, stream, since }).load(job);
  }
}
