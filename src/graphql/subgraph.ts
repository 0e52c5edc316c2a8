// FEDERATION=true: the schema served as an Apollo Federation 2 subgraph
// (@apollo/subgraph), for a router to compose into a supergraph. Everything
// else stays as it is: the same SDL (plus src/schema/federation/), resolvers,
// scopes, limits and graphql-jit. Federation adds two root fields, which the
// SDL cannot give a @scope: `_entities`, the router's lookups of the Voices
// other subgraphs reference, and `_service`, the subgraph's SDL for
// composition tools. Their scopes are decided here.
import { buildSubgraphSchema } from "@apollo/subgraph";
import {
  GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLSchema,
  isUnionType,
  parse,
  type ValidationRule,
} from "graphql";
import type { GatewayContext } from "../context.js";
import { badUserInput } from "../errors.js";
import { resolvers } from "../resolvers/index.js";
import { entityResolvers } from "../resolvers/entities.js";
import { subgraphTypeDefs } from "../schema/index.js";
import { type Scope, SCOPES } from "../services/access/api-key-service.js";
import { declaredScope, enforceScopes } from "./scopes.js";

type SubgraphResolvers = NonNullable<Extract<Parameters<typeof buildSubgraphSchema>[0], { resolvers?: unknown }>["resolvers"]>;

/**
 * The root field that reads each entity type: an entity reached through
 * `_entities` needs the scope that field declares (a Voice, what `voice(id:)`
 * needs), so the two cannot drift apart.
 */
const ENTITY_READERS: Readonly<Record<string, string>> = { Voice: "voice" };

/** The subgraph's executable schema, every root field scope-checked; throws if an entity has no reader above. */
export function subgraphSchema(): GraphQLSchema {
  const schema = buildSubgraphSchema({
    typeDefs: parse(subgraphTypeDefs()),
    // Codegen's resolver types know nothing of __resolveReference; the shapes are the same at run time.
    resolvers: { ...resolvers, Voice: { ...resolvers.Voice, ...entityResolvers.Voice } } as SubgraphResolvers,
  });
  refuseForeignRepresentations(schema);
  return enforceScopes(schema, { "Query._entities": entitiesScope(schema), "Query._service": "read" });
}

/** The `_Entity` union's members: the types `_entities` may be asked for. */
function entityTypes(schema: GraphQLSchema): readonly GraphQLObjectType[] {
  const entity = schema.getType("_Entity");
  if (!isUnionType(entity)) throw new Error("The subgraph schema has no _Entity union");
  return entity.getTypes();
}

/**
 * Checks `_entities`' representations before @apollo/subgraph reads them: one
 * that is no object, or whose `__typename` names no entity of this subgraph,
 * is the caller's mistake, BAD_USER_INPUT naming it. @apollo/subgraph would
 * throw a plain Error for it (an INTERNAL_SERVER_ERROR, logged as a bug) or
 * resolve it as a type the `_Entity` union cannot hold (the same).
 */
function refuseForeignRepresentations(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const resolve = field?.resolve as GraphQLFieldResolver<unknown, GatewayContext> | undefined;
  if (!field || !resolve) throw new Error("The subgraph schema has no _entities resolver");
  const names = new Set(entityTypes(schema).map((type) => type.name));
  const expected = [...names].join(", ");
  const resolveChecked: GraphQLFieldResolver<unknown, GatewayContext, { representations: readonly unknown[] }> = (
    source,
    args,
    context,
    info,
  ) => {
    args.representations.forEach((representation, index) => {
      const typename =
        typeof representation === "object" && representation !== null && "__typename" in representation
          ? representation.__typename
          : undefined;
      if (typeof typename === "string" && names.has(typename)) return;
      const path = `representations.${index}`;
      throw badUserInput(
        path,
        `\`${path}\` must be an object whose \`__typename\` names an entity of this subgraph (${expected}).`,
      );
    });
    return resolve(source, args, context, info);
  };
  field.resolve = resolveChecked as GraphQLFieldResolver<unknown, GatewayContext>;
}

/** What `_entities` needs: the highest scope among the readers of the entity types. */
function entitiesScope(schema: GraphQLSchema): Scope {
  const query = schema.getQueryType();
  if (!query) throw new Error("The subgraph schema has no Query type");
  const scopes = entityTypes(schema).map((type) => {
    const reader = ENTITY_READERS[type.name];
    const scope = reader === undefined ? undefined : declaredScope(query, reader);
    if (!scope) throw new Error(`Entity ${type.name} names no root field whose scope reading it needs (ENTITY_READERS)`);
    return scope;
  });
  return scopes.reduce<Scope>((highest, scope) => (SCOPES.indexOf(scope) > SCOPES.indexOf(highest) ? scope : highest), "read");
}

/**
 * `_service { sdl }` is the whole schema, as introspection is: where
 * introspection is off (production, unless GRAPHQL_INTROSPECTION=true) it is
 * refused too, and composition tools read `subgraph.graphql` instead.
 */
export const ServiceSdlFollowsIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value !== "_service" || context.getParentType() !== context.getSchema().getQueryType()) return;
    context.reportError(
      new GraphQLError(
        "`_service` is the schema and is served only where introspection is on; use the published subgraph.graphql.",
        {
          nodes: node,
        },
      ),
    );
  },
});
