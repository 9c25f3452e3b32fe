// Field resolvers called without type-graphql's wrapper (src/graphql/direct-resolvers.ts):
// which fields of our schema, and that only those whose wrapper does nothing
// but pass values along lose it (a guarded field, an input-object argument keep it).
import "reflect-metadata";
import { graphql } from "graphql";
import { Arg, Authorized, buildSchema, Ctx, Field, FieldResolver, InputType, Int, ObjectType, Query, Resolver, Root } from "type-graphql";
import { describe, expect, it } from "vitest";
import { callFieldResolversDirectly } from "../src/graphql/direct-resolvers";
import { buildGraphQLSchema } from "../src/graphql/schema";

@ObjectType("DirectProbe")
class ProbeType {
  @Field()
  id!: string;
}

@InputType("DirectProbeInput")
class ProbeInput {
  @Field(() => Int)
  x!: number;
}

@Resolver(() => ProbeType)
class ProbeResolver {
  @Query(() => ProbeType, { nullable: true })
  probe() {
    return { id: "p1" };
  }

  @FieldResolver(() => String)
  plain(@Root() probe: { id: string }, @Arg("n", () => Int) n: number, @Arg("tags", () => [String], { nullable: true }) tags: string[] | null, @Ctx() ctx: { tag: string }) {
    return `${probe.id}:${n}:${tags?.join("+") ?? "-"}:${ctx.tag}`;
  }

  @Authorized()
  @FieldResolver(() => String)
  guarded() {
    return "secret";
  }

  @FieldResolver(() => String)
  withInput(@Arg("input", () => ProbeInput) input: ProbeInput) {
    return input instanceof ProbeInput ? `instance ${input.x}` : "plain object";
  }
}

describe("field resolvers called directly", () => {
  it("are the field resolvers of our schema with plain parameters: not Job.searchLogs (an input-object argument), no Query field", async () => {
    const direct = callFieldResolversDirectly(await buildGraphQLSchema());
    expect(direct.sort()).toEqual(["Command.issuedBy", "Command.jobs", "Command.vm", "Job.logs", "Job.vm", "Vm.commands", "Vm.jobs"]);
  });

  it("answer as type-graphql's wrapper did; a guarded field and an input-object argument keep the wrapper", async () => {
    const schema = await buildSchema({ resolvers: [ProbeResolver], authChecker: () => false, validate: false });
    const source = `{ probe { plain(n: 2, tags: ["a", "b"]) nulls: plain(n: 3) withInput(input: { x: 7 }) guarded } }`;
    const wrapped = await graphql({ schema, source, contextValue: { tag: "ctx" } });

    expect(callFieldResolversDirectly(schema).filter((field) => field.startsWith("DirectProbe."))).toEqual(["DirectProbe.plain"]);
    const direct = await graphql({ schema, source, contextValue: { tag: "ctx" } });

    expect(direct).toEqual(wrapped);
    expect(direct.data).toEqual({ probe: null });
    expect(direct.errors?.map((e) => [e.path, e.message])).toEqual([[["probe", "guarded"], expect.stringMatching(/Access denied/)]]);
    const open = await graphql({ schema, source: `{ probe { plain(n: 2, tags: ["a", "b"]) nulls: plain(n: 3) withInput(input: { x: 7 }) } }`, contextValue: { tag: "ctx" } });
    expect(open).toEqual({ data: { probe: { plain: "p1:2:a+b:ctx", nulls: "p1:3:-:ctx", withInput: "instance 7" } } });
  });
});
