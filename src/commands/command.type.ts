// Command's own fields, and sendCommand's payload. The joins (vm, issuedBy,
// jobs) are field resolvers in command.resolver.ts.
import { Field, ID, ObjectType } from "type-graphql";
import { connectionOf } from "../graphql/connection.js";
import { DateTimeISO } from "../graphql/scalars.js";
import { JobType } from "../jobs/job.type.js";

@ObjectType("Command")
export class CommandType {
  @Field(() => ID, { description: "The DynamoDB commandId." })
  id!: string;

  @Field(() => ID)
  vmId!: string;

  @Field(() => String, { description: "The shell command text." })
  command!: string;

  @Field(() => DateTimeISO)
  createdAt!: Date;

  /** The issuing user's id (resolved to a User by the issuedBy field resolver). */
  issuedBy!: string | null;
}

export const CommandConnection = connectionOf(CommandType, "Command");

@ObjectType("SendCommandPayload")
export class SendCommandPayloadType {
  @Field(() => CommandType)
  command!: CommandType;

  @Field(() => JobType, { description: "The job that runs it, status RUNNING." })
  job!: JobType;
}
