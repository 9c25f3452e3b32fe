// type-graphql calls each resolver method through a wrapper: a resolverData
// object, the method's parameters sorted and mapped, every @Arg through its
// `validateArg`, an async function (a promise and a microtask each, with
// validation off), then Promise.all and a `then` before the method runs. A
// field resolver runs once per parent (Job.logs for each job of a page, Vm.jobs
// for each VM), so that wrapper was about a tenth of what a page of jobs with
// their lines allocated (bench/README, "Field resolvers called directly").
//
// Where the wrapper does nothing but that (no middleware, no @Authorized, and
// parameters that are only the root, scalar or enum arguments, the context and
// info, which it hands over unchanged), the schema's field calls the method
// directly with the same values. Everything else keeps type-graphql's wrapper.
import { getNamedType, isEnumType, isObjectType, isScalarType, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { getMetadataStorage } from "type-graphql";

type ParamValue = (root: unknown, args: Record<string, unknown>, context: unknown, info: unknown) => unknown;

/** Replaces the wrapper of every field resolver it can; returns those fields ("Job.logs"). */
export function callFieldResolversDirectly(schema: GraphQLSchema): string[] {
  const storage = getMetadataStorage();
  const instances = new Map<Function, object>();
  const direct: string[] = [];
  for (const resolver of storage.fieldResolvers) {
    const typeClass = resolver.getObjectType?.();
    const typeName = typeClass && storage.objectTypes.find((type) => type.target === typeClass)?.name;
    const type = typeName ? schema.getType(typeName) : undefined;
    const field = isObjectType(type) ? type.getFields()[resolver.schemaName] : undefined;
    if (!field || resolver.kind !== "external" || resolver.middlewares?.length || resolver.roles) continue;

    const values: ParamValue[] = [];
    const params = [...(resolver.params ?? [])].sort((a, b) => a.index - b.index);
    for (const param of params) {
      if (param.kind === "root" && !param.propertyName && (!param.getType || param.getType() === Object)) {
        values.push((root) => root);
      } else if (param.kind === "arg" && field.args.some((arg) => arg.name === param.name && passesUnchanged(arg.type))) {
        const name = param.name;
        values.push((_root, args) => args[name]);
      } else if (param.kind === "context" && !param.propertyName) {
        values.push((_root, _args, context) => context);
      } else if (param.kind === "info") {
        values.push((_root, _args, _context, info) => info);
      } else break;
    }
    if (values.length !== params.length) continue;

    let instance = instances.get(resolver.target);
    if (!instance) instances.set(resolver.target, (instance = new (resolver.target as new () => object)()));
    const method = (instance as Record<string, (...args: unknown[]) => unknown>)[resolver.methodName]!;
    const target = instance;
    // A loop, not values.map(): no closure made per call.
    const resolve: GraphQLFieldResolver<unknown, unknown> = (root, args, context, info) => {
      const params = new Array<unknown>(values.length);
      for (let i = 0; i < values.length; i++) params[i] = values[i]!(root, args, context, info);
      return method.apply(target, params);
    };
    field.resolve = resolve;
    direct.push(`${typeName}.${resolver.schemaName}`);
  }
  return direct;
}

/** Scalars and enums (and lists of them): type-graphql hands their values to the method as they are. */
function passesUnchanged(type: Parameters<typeof getNamedType>[0]): boolean {
  const named = getNamedType(type);
  return isScalarType(named) || isEnumType(named);
}
