import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Node resolves `graphql` to its CommonJS build (package.json "main"), which is what Apollo
    // Server loads; Vite would pick the ESM build ("module") for our sources, and graphql-js
    // refuses types from the other build ("Cannot use GraphQLObjectType from another realm").
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Every file gets its own databases and servers, so files can run in parallel.
    pool: "forks",
    // One file at a time. Two workers on a 2-core machine took the suite from 535 s to 380-430 s but
    // doubled the time of the tests that spawn processes, and the heaviest then ran out of their
    // timeouts (2026-11-27). Set here, not left to Vitest's default (which follows the core count).
    maxWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ["test/support/global-setup.ts"],
    // The second prints one line per program whose absence skipped tests (test/support/host-tools.ts).
    reporters: ["default", "./test/support/skipped-tools-reporter.ts"],
  },
});
