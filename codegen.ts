// Resolver types generated from the SDL, and typed documents for the
// operations the tests send (npm run generate); CI checks they are fresh.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "src/schema/*.graphql",
  generates: {
    "src/generated/graphql.ts": {
      plugins: ["typescript", "typescript-resolvers"],
      config: {
        useTypeImports: true,
        contextType: "../context.js#GatewayContext",
        mappers: {
          Voice: "../services/catalog/catalog-service.js#VoiceRecord",
          VoiceConnection: "../services/catalog/catalog-service.js#VoicePage",
          CloneAttempt: "../services/clone/clone-attempt-store.js#CloneAttemptRecord",
          CloneVoicePayload: "../services/clone/clone-service.js#CloneResult",
          VoicePreview: "../services/previews/preview-service.js#PreviewView",
          ModelList: "../services/models/model-catalog.js#ModelListing",
          Model: "../upstream/faseeh-client.js#UpstreamModel",
        },
        scalars: { DateTime: "Date", Upload: "Promise<import('../services/uploads/file-upload.js').FileUpload>" },
        enumsAsTypes: true,
        avoidOptionals: false,
        strictScalars: true,
      },
    },
    // The tests' operations as typed documents: a client's view of the schema,
    // so DateTime arrives as an ISO string and an Upload is only a placeholder
    // (the multipart request's map puts the file there).
    "test/generated/operations.ts": {
      documents: "test/support/operations.graphql",
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        useTypeImports: true,
        scalars: { DateTime: "string", Upload: "unknown" },
        enumType: "string-literal",
        skipTypename: true,
        strictScalars: true,
      },
    },
  },
};
export default config;
