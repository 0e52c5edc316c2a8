// A validation rule graphql-js 16 lacks (17 has it as KnownOperationTypesRule):
// an operation whose type the schema has no root for (this gateway serves no
// subscriptions) is a mistake in the document, refused as
// GRAPHQL_VALIDATION_FAILED (400) before anything runs. Without it, execution
// would meet the missing root and answer 500.
import { GraphQLError, type ValidationRule } from "graphql";

export const SupportedOperationTypesRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (context.getSchema().getRootType(node.operation)) return;
    context.reportError(
      new GraphQLError(`This gateway serves no ${node.operation} operations: send a query or a mutation.`, { nodes: node }),
    );
  },
});
