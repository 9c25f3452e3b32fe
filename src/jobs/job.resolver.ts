import type { GraphQLResolveInfo } from "graphql";
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { describeOperation, OPERATIONS } from "../auth/operations.js";
import { Allowed } from "../graphql/allowed.js";
import { selectedArgs } from "../graphql/lookahead.js";
import type { GraphQLContext } from "../graphql/context.js";
import { LogTimestamp } from "../graphql/scalars.js";
import type { LogLine } from "../logs/log-line.model.js";
import { LOG_PAGE, type LogPageArgs } from "../logs/log-line.service.js";
import { LogLineConnection, LogStreamEnum } from "../logs/log-line.type.js";
import { VmType } from "../vms/vm.type.js";
import type { Job } from "./job.model.js";
import { JOB_PAGE } from "./job.service.js";
import { JobConnection, JobFilterInputType, JobStatusEnum, JobType, ReadConsistencyEnum } from "./job.type.js";

@Resolver(() => JobType)
export class JobResolver {
  @Allowed(OPERATIONS.job)
  @Query(() => JobType, { description: describeOperation(OPERATIONS.job), nullable: true })
  async job(
    @Arg("id", () => ID) id: string,
    @Arg("consistency", () => ReadConsistencyEnum, { nullable: true, defaultValue: ReadConsistencyEnum.CACHE })
    consistency: ReadConsistencyEnum,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    // The job's logs page, when selected, is read with the job (one cache
    // statement instead of two) and handed to Job.logs's loader.
    const ahead = consistency === ReadConsistencyEnum.CACHE ? logsAhead(ctx, info, ["logs"]) : undefined;
    if (!ahead) return ctx.services.jobs.get(ctx.actor, id, consistency);
    const { job, lines } = await ctx.services.jobs.getWithLogs(ctx.actor, id, ahead.query);
    if (job && lines) ahead.prime(job, lines);
    return job;
  }

  @Allowed(OPERATIONS.jobs)
  @Query(() => JobConnection, { description: describeOperation(OPERATIONS.jobs, "Jobs across VMs, newest first.") })
  async jobs(
    @Arg("filter", () => JobFilterInputType, { nullable: true }) filter: JobFilterInputType | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: JOB_PAGE.default }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    // The nodes' logs pages, when selected, are read with the list (one cache
    // statement instead of two) and handed to Job.logs's loader.
    const ahead = logsAhead(ctx, info, ["edges", "node", "logs"]);
    if (!ahead) return ctx.services.jobs.list(ctx.actor, { filter, first, after });
    const { page, lines } = await ctx.services.jobs.listWithLogs(ctx.actor, { filter, first, after }, ahead.query);
    for (const { node: job } of page.edges) {
      const found = lines.get(job.id);
      if (found) ahead.prime(job, found);
    }
    return page;
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
    return ctx.loaders.logsOfJob(jobLogsArgs(first, after, stream, since)).load(job);
  }
}

/**
 * Job.logs as selected at `path` below the current field, when it can be read
 * ahead with its jobs: the page query (Job.logs's rules checked by
 * LogLineService.prefetch) and how a job's lines read with it prime the very
 * loader Job.logs then asks. Undefined: Job.logs resolves on its own.
 */
function logsAhead(ctx: GraphQLContext, info: GraphQLResolveInfo, path: readonly string[]) {
  const selected = selectedArgs(info, path);
  if (!selected) return undefined;
  const args = jobLogsArgs(selected.first as number, selected.after as string | null, selected.stream as LogStreamEnum | null, selected.since as string | null);
  const prefetch = ctx.services.logs.prefetch(ctx.actor, args);
  if (!prefetch) return undefined;
  const loader = ctx.loaders.logsOfJob(args);
  return { query: prefetch.query, prime: (job: Job, lines: LogLine[]) => loader.prime(job, prefetch.page(lines)) };
}

/**
 * Job.logs's arguments as its loader is keyed (by their JSON): built in one
 * place, so the page job(id) reads ahead primes the very loader Job.logs asks.
 */
function jobLogsArgs(first: number, after: string | null | undefined, stream: LogStreamEnum | null | undefined, since: string | null | undefined): LogPageArgs {
  return { first, after, stream, since };
}
