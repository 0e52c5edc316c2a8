// One input rule for text, for every field there is and will be: before an
// operation runs, every string it carries (each argument written in the
// document, each variable, at any depth) must be something PostgreSQL can
// store and a field can mean (services/storable-values.ts). Otherwise the
// request answers BAD_USER_INPUT naming the value's path (`input.name`,
// `filter.search`, `tags.2`) and nothing runs: no service, no upstream call,
// no write. Checking every string, whatever its type, keeps the rule free of
// a list of fields to forget.
import type { ApolloServerPlugin } from "@apollo/server";
import { type DocumentNode, Kind, type ValueNode, visit } from "graphql";
import type { GatewayContext } from "../../context.js";
import { badUserInput, type GatewayError } from "../../errors.js";
import { textProblem } from "../../services/storable-values.js";

export function ApolloPluginStorableInput(): ApolloServerPlugin<GatewayContext> {
  // Apollo reuses the parsed document of a query it has seen: its literals are checked once.
  const checkedDocuments = new WeakMap<DocumentNode, GatewayError | null>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          let literal = checkedDocuments.get(document);
          if (literal === undefined) {
            literal = literalProblem(document) ?? null;
            checkedDocuments.set(document, literal);
          }
          const problem = literal ?? variableProblem(request.variables ?? {});
          if (problem) throw problem;
        },
      };
    },
  };
}

/** The first string written in the document (an argument or a variable's default) that cannot be stored. */
export function literalProblem(document: DocumentNode): GatewayError | undefined {
  let found: GatewayError | undefined;
  const check = (value: ValueNode, path: string) => {
    found ??= valueNodeProblem(value, path);
  };
  visit(document, {
    Argument(node) {
      check(node.value, node.name.value);
    },
    VariableDefinition(node) {
      if (node.defaultValue) check(node.defaultValue, node.variable.name.value);
    },
  });
  return found;
}

function valueNodeProblem(value: ValueNode, path: string): GatewayError | undefined {
  switch (value.kind) {
    case Kind.STRING:
      return problemAt(value.value, path);
    case Kind.LIST:
      for (const [index, item] of value.values.entries()) {
        const problem = valueNodeProblem(item, `${path}.${index}`);
        if (problem) return problem;
      }
      return undefined;
    case Kind.OBJECT:
      for (const field of value.fields) {
        const problem = valueNodeProblem(field.value, `${path}.${field.name.value}`);
        if (problem) return problem;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The first string in the variables (values and object keys, at any depth) that cannot be stored. */
export function variableProblem(value: unknown, path = ""): GatewayError | undefined {
  if (typeof value === "string") return problemAt(value, path);
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const problem = variableProblem(item, join(path, String(index)));
      if (problem) return problem;
    }
    return undefined;
  }
  // Plain JSON objects only: an upload the multipart map put here is a file, not text.
  if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const problem = problemAt(key, join(path, "(a key)")) ?? variableProblem(item, join(path, key));
    if (problem) return problem;
  }
  return undefined;
}

function problemAt(text: string, path: string): GatewayError | undefined {
  const problem = textProblem(text);
  return problem ? badUserInput(path, `\`${path}\` ${problem}.`) : undefined;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
