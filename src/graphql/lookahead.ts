// Looking ahead from a resolver: which arguments a field below the current one
// is selected with, so a parent can read what that field will ask for in the
// same store call (job(id) reads its logs page with the job, jobs(...) the
// logs pages of its nodes with the list: JobResolver).
import { getArgumentValues, getNamedType, isObjectType, Kind, type FieldNode, type GraphQLField, type GraphQLResolveInfo } from "graphql";

/**
 * The arguments (defaults applied, variables substituted) of the field at
 * `path` below the current field (["logs"]: a direct child; ["edges", "node",
 * "logs"]: through a connection). Undefined when any step of the path is not
 * exactly one field (an aliased twin with other arguments, or one only inside
 * fragments), when one carries a directive (@include / @skip decide at
 * execution), or when the last one's arguments do not coerce: that field then
 * resolves on its own, as it always can.
 */
export function selectedArgs(info: GraphQLResolveInfo, path: readonly string[]): Record<string, unknown> | undefined {
  if (info.fieldNodes.length !== 1) return undefined;
  let node: FieldNode = info.fieldNodes[0]!;
  let type = getNamedType(info.returnType);
  let field: GraphQLField<unknown, unknown> | undefined;
  for (const name of path) {
    field = isObjectType(type) ? type.getFields()[name] : undefined;
    if (!field) return undefined;
    const nodes = (node.selectionSet?.selections ?? []).filter(
      (selection): selection is FieldNode => selection.kind === Kind.FIELD && selection.name.value === name,
    );
    if (nodes.length !== 1 || nodes[0]!.directives?.length) return undefined;
    node = nodes[0]!;
    type = getNamedType(field.type);
  }
  if (!field) return undefined;
  try {
    return getArgumentValues(field, node, info.variableValues);
  } catch {
    return undefined;
  }
}
