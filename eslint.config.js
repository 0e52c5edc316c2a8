// ESLint (flat config): typescript-eslint's strict, type-checked rules for all
// TypeScript, the Vitest plugin's recommended rules for tests, a fence that keeps
// dev/ and bench/ free of test/ and Vitest, and eslint-config-prettier so
// formatting is Prettier's business alone.
// A rule switched off or relaxed here carries its reason on the same line.
import js from "@eslint/js";
import vitest from "@vitest/eslint-plugin";
import prettier from "eslint-config-prettier";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/", "node_modules/", "coverage/", ".data/", "src/generated/", "test/generated/", "examples/node/gql/"] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: { allowDefaultProject: ["*.js", "scripts/*.mjs"] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Numbers and booleans print unambiguously in messages; objects, unknowns and nullish values still may not.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      // `(req, res) => res.end()` style callbacks are idiomatic; void-returning statements elsewhere stay flagged.
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
      // Destructuring a field away to keep the rest is how an object is narrowed ("omit"); resolver
      // arguments are positional, so an unused leading one is named `_parent`.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true, argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    // Plain JavaScript (this file, the scripts) has no types to check; the untyped rules still apply.
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ["src/**/*.ts"],
    rules: {
      // The house's room sizes (DEVELOPERS.md): a file over 400 lines, or a function over 60 lines of
      // logic, does several jobs. Generated code is ignored above.
      "max-lines": ["error", { max: 400 }],
      "max-lines-per-function": ["error", { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ["src/graphql/plugins/*.ts"],
    rules: {
      // Apollo's plugin hooks must return promises, and its documentation writes them as `async` methods.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // dev/ (the fake Faseeh and what tests and benches share) and bench/ are not tests: they must
    // run without the test tree, so they import neither test/ nor Vitest. bench/ once imported
    // test/support and so depended on the tests; what both need lives in dev/.
    files: ["dev/**", "bench/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { regex: "^(\\.\\./)+test/", message: "dev/ and bench/ must not depend on test/: move what both need into dev/." },
            { regex: "^vitest(/|$)", message: "dev/ and bench/ are not tests: they run without Vitest." },
          ],
        },
      ],
    },
  },
  {
    files: ["test/**/*.ts", "bench/**/*.ts"],
    plugins: { vitest },
    rules: {
      ...vitest.configs.recommended.rules,
      // In a test, `value!` on a missing value fails the test right there, which is the point; in src it stays banned.
      "@typescript-eslint/no-non-null-assertion": "off",
      // Vitest's expect(value, message) prints the message when the assertion fails: the rule's default of one argument predates it.
      "vitest/valid-expect": ["error", { maxArgs: 2 }],
    },
  },
  prettier,
);
