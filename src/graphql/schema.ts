import "reflect-metadata";
import { printSchema, type GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { UserResolver } from "../users/user.resolver.js";
import { CommandResolver } from "../commands/command.resolver.js";
import { JobResolver } from "../jobs/job.resolver.js";
import { LiveTailResolver } from "../live-tail/live-tail.resolver.js";
import { LogLineResolver } from "../logs/log-line.resolver.js";
import { JobLogSearchResolver, LogSearchResolver } from "../search/log-search.resolver.js";
import { VmResolver } from "../vms/vm.resolver.js";
import { authChecker } from "./auth-checker.js";
import { callFieldResolversDirectly } from "./direct-resolvers.js";

// Every feature's resolvers; the schema (and schema.graphql) is built from these.
const RESOLVERS = [VmResolver, CommandResolver, JobResolver, LogLineResolver, JobLogSearchResolver, LogSearchResolver, LiveTailResolver, UserResolver] as const;

/**
 * type-graphql asks for a PubSub as soon as a @Subscription exists, even when
 * each brings its own `subscribe`, as ours do (src/live-tail/): never used.
 */
const NO_TOPICS = {
  publish(): never {
    throw new Error("subscriptions bring their own subscribe (src/live-tail/)");
  },
  subscribe(): never {
    throw new Error("subscriptions bring their own subscribe (src/live-tail/)");
  },
};

let built: Promise<GraphQLSchema> | undefined;

/** The schema is the same for every server in the process, so it is built once. */
export function buildGraphQLSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    pubSub: NO_TOPICS,
    // Input rules live in the services (zod), shared with REST.
    validate: false,
  }).then((schema) => {
    // Field resolvers with no middleware of their own skip type-graphql's wrapper,
    // so a global middleware (buildSchema's globalMiddlewares) would not see them.
    callFieldResolversDirectly(schema);
    return schema;
  });
  return built;
}

export const SCHEMA_HEADER =
  "# Generated from the type-graphql classes by `npm run schema:emit`. Do not edit.\n" +
  "# tests/schema.test.ts fails when this file differs from what the code emits.\n\n";

export async function printGraphQLSchema(): Promise<string> {
  return SCHEMA_HEADER + printSchema(await buildGraphQLSchema()) + "\n";
}
