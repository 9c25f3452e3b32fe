import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { describeOperation, OPERATIONS } from "../auth/operations.js";
import { Allowed } from "../graphql/allowed.js";
import type { GraphQLContext } from "../graphql/context.js";
import { EmailAddress } from "../graphql/scalars.js";
import { CreateUserInputType, UpdateUserInputType } from "./user.input.js";
import { USER_PAGE } from "./user.service.js";
import { AuthPayloadType, UserConnection, UserDataExportType, UserType } from "./user.type.js";

@Resolver(() => UserType)
export class UserResolver {
  @Allowed(OPERATIONS.me)
  @Query(() => UserType, { nullable: true, description: describeOperation(OPERATIONS.me, "The signed-in user.") })
  me(@Ctx() ctx: GraphQLContext) {
    return ctx.services.users.me(ctx.actor, ctx.loaders.userById);
  }

  @Allowed(OPERATIONS.myData)
  @Query(() => UserDataExportType, { description: describeOperation(OPERATIONS.myData, "The signed-in user's data export.") })
  myData(@Ctx() ctx: GraphQLContext) {
    return ctx.services.users.myData(ctx.actor);
  }

  // Any signed-in user may ask; the service answers only ADMIN, or the user itself.
  @Allowed(OPERATIONS.user)
  @Query(() => UserType, { nullable: true, description: describeOperation(OPERATIONS.user) })
  user(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.users.get(ctx.actor, id);
  }

  @Allowed(OPERATIONS.users)
  @Query(() => UserConnection, { description: describeOperation(OPERATIONS.users) })
  users(
    @Arg("first", () => Int, { nullable: true, defaultValue: USER_PAGE.default }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.users.list(ctx.actor, { first, after });
  }

  @Allowed(OPERATIONS.login)
  @Mutation(() => AuthPayloadType, {
    description: describeOperation(
      OPERATIONS.login,
      "RATE_LIMITED (extensions.retryAfterSeconds) after 10 failures in a row for an email from one IP (15 min), or 100 failures an hour from one IP.",
    ),
  })
  login(
    @Arg("email", () => EmailAddress) email: string,
    @Arg("password", () => String) password: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.signIn.login({ email, password }, { clientIp: ctx.clientIp });
  }

  @Allowed(OPERATIONS.createUser)
  @Mutation(() => UserType, { description: describeOperation(OPERATIONS.createUser) })
  createUser(@Arg("input", () => CreateUserInputType) input: CreateUserInputType, @Ctx() ctx: GraphQLContext) {
    return ctx.services.users.create(ctx.actor, input);
  }

  @Allowed(OPERATIONS.updateUser)
  @Mutation(() => UserType, { description: describeOperation(OPERATIONS.updateUser) })
  updateUser(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateUserInputType) input: UpdateUserInputType,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.users.update(ctx.actor, id, input);
  }

  @Allowed(OPERATIONS.deleteUser)
  @Mutation(() => Boolean, { description: describeOperation(OPERATIONS.deleteUser, "GDPR erasure: removes the user and unlinks it from commands.") })
  deleteUser(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.users.delete(ctx.actor, id);
  }
}
