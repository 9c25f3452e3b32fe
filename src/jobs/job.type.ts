// Job's own fields. The joins (vm, logs) are field resolvers in job.resolver.ts.
import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { connectionOf } from "../graphql/connection.js";
import { DateTimeISO } from "../graphql/scalars.js";

/** GraphQL's JobStatus enum; the stores keep the lower-case value. */
export enum JobStatusEnum {
  RUNNING = "running",
  SUCCESS = "success",
  FAILED = "failed",
}
registerEnumType(JobStatusEnum, { name: "JobStatus" });

export enum ReadConsistencyEnum {
  CACHE = "cache",
  STRONG = "strong",
}
registerEnumType(ReadConsistencyEnum, {
  name: "ReadConsistency",
  description: "Where a read is served from. CACHE: the Postgres cache first, DynamoDB on a miss. STRONG: DynamoDB, strongly consistent.",
});

// simpleResolvers: see connection.ts. The joins keep their field resolvers.
@ObjectType("Job", { simpleResolvers: true })
export class JobType {
  @Field(() => ID, { description: "UUID." })
  id!: string;

  @Field(() => ID)
  vmId!: string;

  @Field(() => ID, { nullable: true })
  commandId!: string | null;

  @Field(() => String, { description: "The command text that ran." })
  command!: string;

  @Field(() => JobStatusEnum)
  status!: JobStatusEnum;

  @Field(() => DateTimeISO, { nullable: true })
  startedAt!: Date | null;

  @Field(() => DateTimeISO, { nullable: true })
  finishedAt!: Date | null;
}

export const JobConnection = connectionOf(JobType, "Job");

@InputType("JobFilter")
export class JobFilterInputType {
  @Field(() => ID, { nullable: true })
  vmId?: string | null;

  @Field(() => JobStatusEnum, { nullable: true })
  status?: JobStatusEnum | null;

  @Field(() => DateTimeISO, { nullable: true })
  startedAfter?: Date | null;

  @Field(() => DateTimeISO, { nullable: true })
  startedBefore?: Date | null;
}
