// GraphQL shapes of the command inputs; the rules live in command.schema.ts.
import { Field, ID, InputType } from "type-graphql";

@InputType("SendCommandInput")
export class SendCommandInputType {
  @Field(() => ID)
  vmId!: string;

  @Field(() => String)
  command!: string;
}
