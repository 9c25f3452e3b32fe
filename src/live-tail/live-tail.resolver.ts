import { Arg, ID, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import { describeOperation, OPERATIONS } from "../auth/operations.js";
import { Allowed } from "../graphql/allowed.js";
import type { GraphQLContext } from "../graphql/context.js";
import { badInput } from "../shared/errors.js";
import type { Job } from "../jobs/job.model.js";
import { JobType } from "../jobs/job.type.js";
import { LogStreamEnum } from "../logs/log-line.type.js";
import type { TailEvent } from "./log-tail.js";
import { toLogTailEvent } from "./live-tail.presenter.js";
import { LogTailEventType } from "./live-tail.type.js";

/** A subscription sent over HTTP runs its resolver once with no event: say where subscriptions are served. */
function delivered<T>(event: T | undefined): T {
  if (event === undefined) throw badInput("subscriptions are served over WebSocket at /graphql (graphql-ws, the graphql-transport-ws protocol), not over HTTP");
  return event;
}

interface TailArgs {
  jobId: string;
  after?: string | null;
  stream?: LogStreamEnum | null;
}

@Resolver()
export class LiveTailResolver {
  @Allowed(OPERATIONS.jobLogTail)
  @Subscription(() => LogTailEventType, {
    description: describeOperation(
      OPERATIONS.jobLogTail,
      "A job's log as it is written: first every stored line after `after` (from the first line when null), then each new line once it is stored. Every line exactly once and in ts order, whichever instance stored it, and with no gap and no repeat across a reconnect that resubscribes with the last `cursor`. Completes after the delivery that carries the job's finished status and its last line.",
    ),
    subscribe: ({ args, context }: SubscribeResolverData<unknown, Record<string, unknown>, GraphQLContext>) => {
      const { jobId, after, stream } = args as unknown as TailArgs;
      return context.services.liveTail.tail(context.actor, jobId, { after, stream });
    },
  })
  jobLogTail(
    @Root() event: TailEvent,
    @Arg("jobId", () => ID) _jobId: string,
    @Arg("after", () => String, { nullable: true }) _after: string | null,
    @Arg("stream", () => LogStreamEnum, { nullable: true }) _stream: LogStreamEnum | null,
  ) {
    return toLogTailEvent(delivered(event));
  }

  @Allowed(OPERATIONS.jobChanged)
  @Subscription(() => JobType, {
    description: describeOperation(
      OPERATIONS.jobChanged,
      "A job each time it starts or changes status: every job of the VM `vmId`, or the one job `jobId`. Exactly one of the two.",
    ),
    subscribe: ({ args, context }: SubscribeResolverData<unknown, Record<string, unknown>, GraphQLContext>) =>
      context.services.liveTail.jobChanges(context.actor, args as { vmId?: string | null; jobId?: string | null }),
  })
  jobChanged(
    @Root() job: Job,
    @Arg("vmId", () => ID, { nullable: true }) _vmId: string | null,
    @Arg("jobId", () => ID, { nullable: true }) _jobId: string | null,
  ) {
    return delivered(job);
  }
}
