import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { describeOperation, OPERATIONS } from "../auth/operations.js";
import { Allowed } from "../graphql/allowed.js";
import type { GraphQLContext } from "../graphql/context.js";
import { JOB_PAGE } from "../jobs/job.service.js";
import { JobConnection } from "../jobs/job.type.js";
import { UserType } from "../users/user.type.js";
import { VmType } from "../vms/vm.type.js";
import { SendCommandInputType } from "./command.input.js";
import type { Command } from "./command.model.js";
import { CommandType, SendCommandPayloadType } from "./command.type.js";

@Resolver(() => CommandType)
export class CommandResolver {
  @Allowed(OPERATIONS.command)
  @Query(() => CommandType, { description: describeOperation(OPERATIONS.command), nullable: true })
  command(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.commands.get(ctx.actor, id);
  }

  @Allowed(OPERATIONS.sendCommand)
  @Mutation(() => SendCommandPayloadType, { description: describeOperation(OPERATIONS.sendCommand, "Stores the command and starts a job for it.") })
  sendCommand(@Arg("input", () => SendCommandInputType) input: SendCommandInputType, @Ctx() ctx: GraphQLContext) {
    return ctx.services.commands.send(ctx.actor, input);
  }

  @FieldResolver(() => VmType, { nullable: true, description: "Null once the VM is deleted." })
  vm(@Root() command: Command, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.vmById.load(command.vmId);
  }

  @FieldResolver(() => UserType, { nullable: true, description: "Null once the issuing user is erased." })
  issuedBy(@Root() command: Command, @Ctx() ctx: GraphQLContext) {
    return command.issuedBy ? ctx.loaders.userById.load(command.issuedBy) : null;
  }

  @FieldResolver(() => JobConnection, { description: "Executions of this command, newest first." })
  jobs(
    @Root() command: Command,
    @Arg("first", () => Int, { nullable: true, defaultValue: JOB_PAGE.nestedDefault }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.loaders.jobsOfCommand({ first, after }).load(command);
  }
}
