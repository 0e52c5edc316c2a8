// FEDERATION=true: the schema served as an Apollo Federation 2 subgraph
// (@apollo/subgraph), for a router to compose into a supergraph. Everything
// else stays as it is: the same SDL (plus src/schema/federation/), resolvers,
// scopes, limits and graphql-jit. Federation adds two root fields, which the
// SDL cannot give a @scope: `_entities`, the router's lookups of the Voices
// other subgraphs reference, and `_service`, the subgraph's SDL for
// composition tools. Their scopes are decided here.
import { buildSubgraphSchema } from "@apollo/subgraph";
import { GraphQLError, type GraphQLSchema, isUnionType, parse, type ValidationRule } from "graphql";
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
    typeDefs: parse(subgraphTypeDefs),
    // Codegen's resolver types know nothing of __resolveReference; the shapes are the same at run time.
    resolvers: { ...resolvers, Voice: { ...resolvers.Voice, ...entityResolvers.Voice } } as SubgraphResolvers,
  });
  return enforceScopes(schema, { "Query._entities": entitiesScope(schema), "Query._service": "read" });
}

/** What `_entities` needs: the highest scope among the readers of the entity types. */
function entitiesScope(schema: GraphQLSchema): Scope {
  const entity = schema.getType("_Entity");
  const query = schema.getQueryType();
  if (!isUnionType(entity) || !query) throw new Error("The subgraph schema has no _Entity union or no Query type");
  const scopes = entity.getTypes().map((type) => {
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
