// Resolver types generated from the SDL, typed documents for the operations
// the tests send, and the Node example's client-preset output (npm run
// generate); CI checks they are fresh.
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
          Speech: "../services/speech/speech-service.js#SpeechView",
          SpeechConnection: "../services/speech/speech-service.js#SpeechPage",
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
    // The Node example's documents, typed as a client of the gateway would type them: GraphQL Code
    // Generator's client preset reads the graphql(`...`) calls in examples/node/*.ts and writes the
    // graphql() function that returns each one as a typed document.
    "examples/node/gql/": {
      documents: ["examples/node/*.ts"],
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        // A File or Blob: apollo-upload-client sends the variables holding one as multipart parts.
        scalars: { DateTime: "string", Upload: "File | Blob" },
        enumsAsTypes: true,
        skipTypename: true,
        strictScalars: true,
        // .js on the imports between the generated files, as NodeNext resolution (tsconfig.json) needs.
        emitLegacyCommonJSImports: false,
      },
    },
  },
};
export default config;
