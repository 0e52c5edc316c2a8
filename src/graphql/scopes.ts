// Who may run which root field. Each Query and Mutation field declares the
// client key scope it needs in the SDL (`@scope(requires: WRITE)`, see
// src/schema/scopes.graphql), and the check runs as the field resolves: a
// field is refused however the document reaches it (fragments, inline
// fragments, aliases, several operations), and before its resolver does
// anything, so a refused field calls nobody and writes nothing. A root field
// without a declaration stops the gateway at boot.
import { type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLSchema, Kind } from "graphql";
import type { GatewayContext } from "../context.js";
import { GatewayError } from "../errors.js";
import { type Scope, SCOPES, scopeAllows } from "../services/access/api-key-service.js";

export const SCOPE_DIRECTIVE = "scope";

/** The scope a field's SDL declares, or undefined. */
export function declaredScope(type: GraphQLObjectType, fieldName: string): Scope | undefined {
  const directive = type.getFields()[fieldName]?.astNode?.directives?.find((node) => node.name.value === SCOPE_DIRECTIVE);
  const value = directive?.arguments?.find((argument) => argument.name.value === "requires")?.value;
  const scope = value?.kind === Kind.ENUM ? value.value.toLowerCase() : undefined;
  return SCOPES.find((known) => known === scope);
}

/** The schema's root types whose fields must each declare a scope. */
export function rootTypes(schema: GraphQLSchema): GraphQLObjectType[] {
  return [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(
    (type): type is GraphQLObjectType => type != null,
  );
}

/**
 * Wraps every root field's resolver with its scope check (in place); throws if a root field declares none.
 * `added` gives the scopes of root fields the SDL cannot annotate, by `Type.field` (federation's, subgraph.ts).
 */
export function enforceScopes(schema: GraphQLSchema, added: Readonly<Record<string, Scope>> = {}): GraphQLSchema {
  for (const type of rootTypes(schema)) {
    for (const field of Object.values(type.getFields())) {
      const required = declaredScope(type, field.name) ?? added[`${type.name}.${field.name}`];
      if (!required) throw new Error(`${type.name}.${field.name} declares no @scope(requires: …) in the SDL`);
      const resolve = field.resolve as GraphQLFieldResolver<unknown, GatewayContext> | undefined;
      if (!resolve) throw new Error(`${type.name}.${field.name} has no resolver`);
      field.resolve = (source, args, context: GatewayContext, info) => {
        const { principal } = context;
        if (!scopeAllows(principal.scope, required)) throw forbidden(`${type.name}.${field.name}`, required, principal.scope);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}

const forbidden = (field: string, required: Scope, held: Scope) =>
  new GatewayError(
    "FORBIDDEN",
    `\`${field}\` needs a client key with the \`${required}\` scope; this key has \`${held}\`` +
      (required === "write" ? " (mutations that clone, preview or edit the catalog spend or change things)." : "."),
    { requiredScope: required },
  );
