// What an operation costs, counted before it runs, in units of work the
// gateway and its database really do. graphql-armor's cost limit counts each
// field once whatever the list sizes, so fifteen aliases of
// `cloneAttempts(first: 100) { voice { id } }` looked cheap while asking for
// 1,500 attempts and their voices. Here:
//   - every field selected costs 1 per value it will produce;
//   - a field with a `first` argument asks for that many items (the argument's
//     value, from a literal or a variable, or its schema default): when the
//     field is itself a list, its selection is multiplied by it; when it is a
//     connection, its list fields (`nodes`, `edges`) are, and the rest of it
//     (`pageInfo`, `totalCount`) counts once;
//   - a federation router's `_entities` (FEDERATION=true) answers one entity
//     per representation: its selection, at least 1 (the lookup), is
//     multiplied by their number;
//   - fields that cost a database query or a scan add their weight below.
// Directives (@include/@skip) are ignored: the count assumes the worst.
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  type GraphQLCompositeType,
  type GraphQLSchema,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { MAX_PAGE_SIZE } from "../services/catalog/catalog-service.js";

/** Extra weight of fields that cost more than producing a value, by `Type.field`. */
export const FIELD_WEIGHTS: Readonly<Record<string, number>> = {
  // A query each.
  "Query.voices": 50,
  "Query.voice": 10,
  "Query.cloneAttempts": 50,
  "Query.apiKeys": 50,
  "Query.voicePreview": 10,
  "Query.speeches": 50,
  // Faseeh's model list, from memory nearly always.
  "Query.models": 10,
  // A COUNT over every matching voice, however small the page.
  "VoiceConnection.totalCount": 1000,
  // A share of one batched lookup (DataLoader) per attempt.
  "CloneAttempt.voice": 5,
  // One batched query for every reference (src/graphql/subgraph.ts).
  "Query._entities": 10,
};

/** The arguments that say how many items a field asks for: the sizes of lists and pages. */
export const SIZE_ARGUMENTS: ReadonlySet<string> = new Set(["first", "representations"]);

/**
 * The operation's cost, or undefined when its variables do not coerce (the
 * execution then refuses them with BAD_USER_INPUT, which says more).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Readonly<Record<string, unknown>> | undefined,
): number | undefined {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  if (coerced.errors) return undefined;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }

  /** `pageSize`: the `first` of the enclosing connection, for its list fields. */
  const selectionCost = (
    set: SelectionSetNode,
    parent: GraphQLCompositeType,
    pageSize: number,
    visiting: ReadonlySet<string>,
  ): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        cost += fieldCost(selection, parent, pageSize, visiting);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        // A union's fragment (`... on _Entity`) holds the fragments of its members, priced inside.
        if (type && isCompositeType(type)) cost += selectionCost(selection.selectionSet, type, pageSize, visiting);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        // A fragment spread inside itself is refused by validation; the guard keeps this total.
        if (fragment && type && !visiting.has(name) && isCompositeType(type)) {
          cost += selectionCost(fragment.selectionSet, type, pageSize, new Set([...visiting, name]));
        }
      }
    }
    return cost;
  };

  const fieldCost = (node: FieldNode, parent: GraphQLCompositeType, pageSize: number, visiting: ReadonlySet<string>): number => {
    const name = node.name.value;
    if (name.startsWith("__") || !(isObjectType(parent) || isInterfaceType(parent))) return 0; // introspection
    const definition = parent.getFields()[name];
    if (!definition) return 0; // validation refuses it
    const weight = 1 + (FIELD_WEIGHTS[`${parent.name}.${name}`] ?? 0);
    if (!node.selectionSet) return weight;
    const type = getNamedType(definition.type);
    // A union (federation's _Entity) is priced through its inline fragments' types.
    if (!isCompositeType(type)) return weight;
    const hasFirst = definition.args.some((argument) => argument.name === "first");
    const isEntities = definition.args.some((argument) => argument.name === "representations");
    const args = hasFirst || isEntities ? getArgumentValues(definition, node, coerced.coerced) : {};
    const size = hasFirst ? listSize(args.first) : isEntities ? entityCount(args.representations) : pageSize;
    // A connection passes `size` on to its lists; a list is `size` items, each costing its selection.
    if (!isListType(getNullableType(definition.type))) {
      return weight + selectionCost(node.selectionSet, type, hasFirst ? size : 1, visiting);
    }
    const each = selectionCost(node.selectionSet, type, 1, visiting);
    // Each reference is a lookup, whatever is selected of it (`{ __typename }` selects nothing that costs).
    return weight + size * (isEntities ? Math.max(1, each) : each);
  };

  return selectionCost(operation.selectionSet, root, 1, new Set());
}

/** How many entities `_entities` is asked for: one per representation. */
const entityCount = (representations: unknown): number => (Array.isArray(representations) ? representations.length : 1);

/**
 * `first` as given. A missing or out-of-range one counts as 1: the resolver
 * refuses it with BAD_USER_INPUT naming `first`, which says more than a cost.
 */
function listSize(first: unknown): number {
  return typeof first === "number" && Number.isInteger(first) && first > 0 && first <= MAX_PAGE_SIZE ? first : 1;
}
