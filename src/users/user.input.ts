// GraphQL shapes of the user inputs; the rules (lower-cased email, password
// length) live in user.schema.ts, where the service applies them for both transports.
import { Field, InputType } from "type-graphql";
import { EmailAddress } from "../graphql/scalars.js";
import { RoleEnum } from "./user.type.js";

@InputType("CreateUserInput")
export class CreateUserInputType {
  @Field(() => EmailAddress)
  email!: string;

  @Field(() => String)
  password!: string;

  @Field(() => RoleEnum)
  role!: RoleEnum;
}

@InputType("UpdateUserInput")
export class UpdateUserInputType {
  @Field(() => EmailAddress, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  password?: string | null;

  @Field(() => RoleEnum, { nullable: true })
  role?: RoleEnum | null;
}
