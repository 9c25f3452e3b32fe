import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { connectionOf } from "../graphql/connection";
import { DateTimeISO, EmailAddress } from "../graphql/scalars";

/** GraphQL's Role enum; the stores keep the lower-case value. */
export enum RoleEnum {
  ADMIN = "admin",
  DEV = "dev",
  VIEWER = "viewer",
}
registerEnumType(RoleEnum, { name: "Role" });

@ObjectType("User")
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field(() => EmailAddress)
  email!: string;

  @Field(() => RoleEnum)
  role!: RoleEnum;

  @Field(() => DateTimeISO)
  createdAt!: Date;

  @Field(() => DateTimeISO)
  updatedAt!: Date;
}

export const UserConnection = connectionOf(UserType, "User");
