import { Field, ObjectType } from "type-graphql";
import { JobStatusEnum } from "../jobs/job.type.js";
import { LogLineConnection } from "../logs/log-line.type.js";

@ObjectType("LogTailEvent", { simpleResolvers: true, description: "One delivery of a job's live log (Subscription.jobLogTail)." })
export class LogTailEventType {
  @Field(() => [LogLineConnection.Edge], {
    description: "The lines stored since the previous delivery (or after the subscription's `after`), oldest first; empty when only the status changed.",
  })
  lines!: InstanceType<typeof LogLineConnection.Edge>[];

  @Field(() => String, {
    nullable: true,
    description:
      "Resume point: resubscribe with `after` = this cursor, on any instance, to continue right after this delivery (Job.logs takes it too). Null until a line has been delivered.",
  })
  cursor!: string | null;

  @Field(() => JobStatusEnum, { description: "The job's status as of this delivery." })
  status!: JobStatusEnum;
}
