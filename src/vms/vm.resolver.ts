import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { rolesWith } from "../auth/permissions.js";
import type { GraphQLContext } from "../graphql/context.js";
import { CommandConnection } from "../commands/command.type.js";
import { COMMAND_PAGE } from "../commands/command.service.js";
import { JOB_PAGE } from "../jobs/job.service.js";
import { JobConnection, JobStatusEnum } from "../jobs/job.type.js";
import { CreateVmInputType, UpdateVmInputType } from "./vm.input.js";
import type { Vm } from "./vm.model.js";
import { VM_PAGE } from "./vm.service.js";
import { VmConnection, VmType } from "./vm.type.js";

@Resolver(() => VmType)
export class VmResolver {
  @Authorized()
  @Query(() => VmType, { nullable: true })
  vm(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.vms.get(ctx.actor, id);
  }

  @Authorized()
  @Query(() => VmConnection)
  vms(
    @Arg("environment", () => String, { nullable: true }) environment: string | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: VM_PAGE.default }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.vms.list(ctx.actor, { environment, first, after });
  }

  @Authorized(rolesWith("write"))
  @Mutation(() => VmType, { description: "ADMIN or DEV." })
  createVm(@Arg("input", () => CreateVmInputType) input: CreateVmInputType, @Ctx() ctx: GraphQLContext) {
    return ctx.services.vms.create(ctx.actor, input as Parameters<typeof ctx.services.vms.create>[1]);
  }

  @Authorized(rolesWith("write"))
  @Mutation(() => VmType)
  updateVm(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateVmInputType) input: UpdateVmInputType,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.vms.update(ctx.actor, id, input as Parameters<typeof ctx.services.vms.update>[2]);
  }

  @Authorized(rolesWith("write"))
  @Mutation(() => Boolean)
  deleteVm(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.vms.delete(ctx.actor, id);
  }

  @FieldResolver(() => JobConnection, { description: "Newest first." })
  jobs(
    @Root() vm: Vm,
    @Arg("first", () => Int, { nullable: true, defaultValue: JOB_PAGE.nestedDefault }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Arg("status", () => JobStatusEnum, { nullable: true }) status: JobStatusEnum | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.loaders.jobsOfVm({ first, after, status }).load(vm);
  }

  @FieldResolver(() => CommandConnection, { description: "Newest first." })
  commands(
    @Root() vm: Vm,
    @Arg("first", () => Int, { nullable: true, defaultValue: COMMAND_PAGE.default }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.loaders.commandsOfVm({ first, after }).load(vm);
  }
}
