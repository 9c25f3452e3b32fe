import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { describeOperation, OPERATIONS } from "../auth/operations.js";
import { Allowed } from "../graphql/allowed.js";
import type { GraphQLContext } from "../graphql/context.js";
import { LogTimestamp } from "../graphql/scalars.js";
import { LOG_PAGE } from "./log-line.service.js";
import { AppendLogsPayloadType, LogLineConnection, LogLineInputType, LogLineType, LogStreamEnum } from "./log-line.type.js";

@Resolver(() => LogLineType)
export class LogLineResolver {
  @Allowed(OPERATIONS.logs)
  @Query(() => LogLineConnection, { description: describeOperation(OPERATIONS.logs, "The same lines as Job.logs.") })
  logs(
    @Arg("jobId", () => ID) jobId: string,
    @Arg("first", () => Int, { nullable: true, defaultValue: LOG_PAGE.default }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Arg("stream", () => LogStreamEnum, { nullable: true }) stream: LogStreamEnum | null,
    @Arg("since", () => LogTimestamp, { nullable: true }) since: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.logs.list(ctx.actor, jobId, { first, after, stream, since });
  }

  @Allowed(OPERATIONS.appendJobLogs)
  @Mutation(() => AppendLogsPayloadType, { description: describeOperation(OPERATIONS.appendJobLogs, "Appends log lines to a job, in order.") })
  appendJobLogs(
    @Arg("jobId", () => ID) jobId: string,
    @Arg("lines", () => [LogLineInputType]) lines: LogLineInputType[],
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.logs.append(ctx.actor, { jobId, lines });
  }
}
