import { Field, ID, ObjectType } from "type-graphql";
import { connectionOf } from "../graphql/connection.js";
import { DateTimeISO, JSONObject } from "../graphql/scalars.js";

@ObjectType("Vm")
export class VmType {
  @Field(() => ID, { description: "The DynamoDB vmId." })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  environment!: string;

  @Field(() => JSONObject, { description: "Free-form labels (string values)." })
  tags!: Record<string, string>;

  @Field(() => DateTimeISO)
  createdAt!: Date;

  @Field(() => DateTimeISO)
  updatedAt!: Date;
}

export const VmConnection = connectionOf(VmType, "Vm");
