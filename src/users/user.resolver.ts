import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { rolesWith } from "../auth/permissions.js";
import type { GraphQLContext } from "../graphql/context.js";
import { EmailAddress } from "../graphql/scalars.js";
import { CreateUserInputType, UpdateUserInputType } from "./user.input.js";
import { USER_PAGE } from "./user.service.js";
import { AuthPayloadType, UserConnection, UserDataExportType, UserType } from "./user.type.js";

@Resolver(() => UserType)
export class UserResolver {
  @Query(() => UserType, { nullable: true, description: "The signed-in user; null when not signed in." })
  me(@Ctx() ctx: GraphQLContext) {
    return ctx.services.users.me(ctx.actor);
  }

  @Authorized()
  @Query(() => UserDataExportType, { description: "The signed-in user's data export." })
  myData(@Ctx() ctx: GraphQLContext) {
    return ctx.services.users.myData(ctx.actor);
  }

  // Any signed-in user may ask; the service answers only ADMIN, or the user itself.
  @Authorized()
  @Query(() => UserType, { nullable: true, description: "ADMIN, or the user itself (FORBIDDEN for anyone else)." })
  user(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.users.get(ctx.actor, id);
  }

  @Authorized(rolesWith("manage-users"))
  @Query(() => UserConnection, { description: "ADMIN only." })
  users(
    @Arg("first", () => Int, { nullable: true, defaultValue: USER_PAGE.default }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.users.list(ctx.actor, { first, after });
  }

  @Mutation(() => AuthPayloadType, {
    description: "RATE_LIMITED (extensions.retryAfterSeconds) after 10 failures in a row for an email from one IP (15 min), or 100 failures an hour from one IP.",
  })
  login(
    @Arg("email", () => EmailAddress) email: string,
    @Arg("password", () => String) password: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.signIn.login({ email, password }, { clientIp: ctx.clientIp });
  }

  @Authorized(rolesWith("manage-users"))
  @Mutation(() => UserType, { description: "ADMIN only." })
  createUser(@Arg("input", () => CreateUserInputType) input: CreateUserInputType, @Ctx() ctx: GraphQLContext) {
    return ctx.services.users.create(ctx.actor, input);
  }

  @Authorized()
  @Mutation(() => UserType, { description: "ADMIN, or the user itself for email and password (not role)." })
  updateUser(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateUserInputType) input: UpdateUserInputType,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.users.update(ctx.actor, id, input);
  }

  @Authorized(rolesWith("manage-users"))
  @Mutation(() => Boolean, { description: "ADMIN only. GDPR erasure: removes the user and unlinks it from commands." })
  deleteUser(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.users.delete(ctx.actor, id);
  }
}
