import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { connectionOf } from "../graphql/connection.js";
import { LogTimestamp } from "../graphql/scalars.js";

/** GraphQL's LogStream enum; the stores keep the lower-case value. */
export enum LogStreamEnum {
  STDOUT = "stdout",
  STDERR = "stderr",
}
registerEnumType(LogStreamEnum, { name: "LogStream" });

// simpleResolvers: see connection.ts (a page holds up to 1,000 lines).
@ObjectType("LogLine", { simpleResolvers: true })
export class LogLineType {
  @Field(() => ID)
  jobId!: string;

  @Field(() => LogTimestamp)
  ts!: string;

  @Field(() => LogStreamEnum)
  stream!: LogStreamEnum;

  @Field(() => String)
  data!: string;
}

export const LogLineConnection = connectionOf(LogLineType, "LogLine");

@InputType("LogLineInput")
export class LogLineInputType {
  @Field(() => LogTimestamp, { nullable: true, description: "Defaults to the time of receipt." })
  ts?: string | null;

  @Field(() => LogStreamEnum)
  stream!: LogStreamEnum;

  @Field(() => String)
  data!: string;
}

@ObjectType("AppendLogsPayload")
export class AppendLogsPayloadType {
  @Field(() => Int, { description: "Lines stored, equal to the number sent." })
  accepted!: number;

  @Field(() => LogTimestamp, { nullable: true, description: "Timestamp of the last stored line." })
  lastTs!: string | null;
}
