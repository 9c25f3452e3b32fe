// Looking one level ahead from a resolver: which arguments a child field is
// selected with, so a parent can read what the child will ask for in the same
// store call (job(id) reads its logs page with the job: JobResolver.job).
import { getArgumentValues, getNamedType, isObjectType, Kind, type FieldNode, type GraphQLResolveInfo } from "graphql";

/**
 * The arguments (defaults applied, variables substituted) of the one `name`
 * field selected directly under the current field. Undefined when there is
 * not exactly one (an aliased twin with other arguments, or one only inside
 * fragments), when it carries a directive (@include / @skip decide at
 * execution), or when its arguments do not coerce: the child then resolves on
 * its own, as it always can.
 */
export function selectedChildArgs(info: GraphQLResolveInfo, name: string): Record<string, unknown> | undefined {
  if (info.fieldNodes.length !== 1) return undefined;
  const type = getNamedType(info.returnType);
  const field = isObjectType(type) ? type.getFields()[name] : undefined;
  if (!field) return undefined;
  const nodes = (info.fieldNodes[0]!.selectionSet?.selections ?? []).filter(
    (selection): selection is FieldNode => selection.kind === Kind.FIELD && selection.name.value === name,
  );
  if (nodes.length !== 1 || nodes[0]!.directives?.length) return undefined;
  try {
    return getArgumentValues(field, nodes[0]!, info.variableValues);
  } catch {
    return undefined;
  }
}
