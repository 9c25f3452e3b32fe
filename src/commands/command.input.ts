// GraphQL shapes of the command inputs; the rules live in command.schema.ts.
import { Field, ID, InputType, ObjectType } from "type-graphql";
import { JobType } from "../jobs/job.type.js";
import { CommandType } from "./command.type.js";

@InputType("SendCommandInput")
export class SendCommandInputType {
  @Field(() => ID)
  vmId!: string;

  @Field(() => String)
  command!: string;
}

@ObjectType("SendCommandPayload")
export class SendCommandPayloadType {
  @Field(() => CommandType)
  command!: CommandType;

  @Field(() => JobType, { description: "The job that runs it, status RUNNING." })
  job!: JobType;
}
