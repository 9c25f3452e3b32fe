import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { rolesWith } from "../auth/permissions";
import type { GraphQLContext } from "../graphql/context";
import { CreateVmInputType } from "./vm.input";
import { VM_PAGE } from "./vm.service";
import { VmConnection, VmType } from "./vm.type";

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
}
