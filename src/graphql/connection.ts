// Cursor connections for type-graphql: connectionOf(VmType, "Vm") declares
// VmEdge and VmConnection as the contract names them.
//
// simpleResolvers: these fields are plain properties with no middleware or
// auth, so graphql-js's default resolver reads them; type-graphql would
// otherwise wrap each in its own resolver (an object per field per edge). Only
// for types whose fields carry no @Authorized: it would skip the check.
import { Field, ObjectType, type ClassType } from "type-graphql";

@ObjectType("PageInfo", { simpleResolvers: true })
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export function connectionOf<T extends object>(Node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field(() => String)
    cursor!: string;

    @Field(() => Node)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true })
  class Connection {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfoType)
    pageInfo!: PageInfoType;
  }
  // The edge type too, for fields that return edges outside a connection (the live tail's lines).
  return Object.assign(Connection, { Edge });
}
