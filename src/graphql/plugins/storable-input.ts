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

/**
 * The first string in the variables (values and object keys, at any depth)
 * that cannot be stored. Walked with a stack of its own, not by recursion:
 * variables nested ten thousand deep are a few kilobytes of JSON.
 */
export function variableProblem(variables: unknown): GatewayError | undefined {
  const pending: Array<{ value: unknown; path: string }> = [{ value: variables, path: "" }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path } = next;
    if (typeof value === "string") {
      const problem = problemAt(value, path);
      if (problem) return problem;
    } else if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--)
        pending.push({ value: value[index], path: join(path, String(index)) });
    } else if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
      // Plain JSON objects only: an upload the multipart map put here is a file, not text.
      const entries: Array<[string, unknown]> = Object.entries(value);
      for (const [key] of entries) {
        const problem = problemAt(key, join(path, "(a key)"));
        if (problem) return problem;
      }
      for (const [key, item] of entries.reverse()) pending.push({ value: item, path: join(path, key) });
    }
  }
  return undefined;
}

function problemAt(text: string, path: string): GatewayError | undefined {
  const problem = textProblem(text);
  return problem ? badUserInput(path, `\`${path}\` ${problem}.`) : undefined;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
