// GraphQL shapes of the VM inputs; the rules (lengths, tag values) live in
// vm.schema.ts, where the service applies them for both transports.
import { Field, ID, InputType } from "type-graphql";
import { JSONObject } from "../graphql/scalars.js";

@InputType("CreateVmInput")
export class CreateVmInputType {
  @Field(() => ID, { nullable: true, description: "Optional; generated when absent." })
  id?: string | null;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  environment!: string;

  @Field(() => JSONObject, { nullable: true })
  tags?: Record<string, unknown> | null;
}

@InputType("UpdateVmInput")
export class UpdateVmInputType {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  environment?: string | null;

  @Field(() => JSONObject, { nullable: true })
  tags?: Record<string, unknown> | null;
}
