import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { describeOperation, OPERATIONS } from "../auth/operations.js";
import { Allowed } from "../graphql/allowed.js";
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
  @Allowed(OPERATIONS.vm)
  @Query(() => VmType, { description: describeOperation(OPERATIONS.vm), nullable: true })
  vm(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.vms.get(ctx.actor, id);
  }

  @Allowed(OPERATIONS.vms)
  @Query(() => VmConnection, { description: describeOperation(OPERATIONS.vms) })
  vms(
    @Arg("environment", () => String, { nullable: true }) environment: string | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: VM_PAGE.default }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.vms.list(ctx.actor, { environment, first, after });
  }

  @Allowed(OPERATIONS.createVm)
  @Mutation(() => VmType, { description: describeOperation(OPERATIONS.createVm) })
  createVm(@Arg("input", () => CreateVmInputType) input: CreateVmInputType, @Ctx() ctx: GraphQLContext) {
    return ctx.services.vms.create(ctx.actor, input as Parameters<typeof ctx.services.vms.create>[1]);
  }

  @Allowed(OPERATIONS.updateVm)
  @Mutation(() => VmType, { description: describeOperation(OPERATIONS.updateVm) })
  updateVm(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateVmInputType) input: UpdateVmInputType,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.vms.update(ctx.actor, id, input as Parameters<typeof ctx.services.vms.update>[2]);
  }

  @Allowed(OPERATIONS.deleteVm)
  @Mutation(() => Boolean, { description: describeOperation(OPERATIONS.deleteVm) })
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
