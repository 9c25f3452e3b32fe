import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { CommandType } from "../commands/command.type.js";
import { connectionOf } from "../graphql/connection.js";
import { DateTimeISO, EmailAddress } from "../graphql/scalars.js";

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

@ObjectType("AuthPayload")
export class AuthPayloadType {
  @Field(() => String, { description: "Bearer token for the Authorization header." })
  token!: string;

  @Field(() => DateTimeISO)
  expiresAt!: Date;

  @Field(() => UserType)
  user!: UserType;
}

@ObjectType("UserDataExport", { description: "Everything the server holds about one user (GDPR access request)." })
export class UserDataExportType {
  @Field(() => UserType)
  user!: UserType;

  @Field(() => [CommandType], { description: "Commands the user issued, newest first." })
  commands!: CommandType[];

  @Field(() => DateTimeISO)
  exportedAt!: Date;
}
