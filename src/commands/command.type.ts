// Command's own fields. The joins (vm, issuedBy, jobs) are field resolvers in
// command.resolver.ts.
import { Field, ID, ObjectType } from "type-graphql";
import { connectionOf } from "../graphql/connection.js";
import { DateTimeISO } from "../graphql/scalars.js";

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
