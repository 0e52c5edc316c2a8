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
    // Every file gets its own databases and servers, so files run in parallel.
    pool: "forks",
    // Vitest's default is one worker fewer than the cores: one, on a 2-core CI machine. The files
    // mostly wait (on processes they spawn, sockets, PostgreSQL), so two workers there took the
    // suite from 535 s to 380-414 s, with every test passing (README, "Tests").
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ["test/support/global-setup.ts"],
    reporters: ["default"],
  },
});
