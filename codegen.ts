// Resolver types generated from the SDL (npm run generate); CI checks they are fresh.
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
          Voice: "../services/catalog-service.js#VoiceRecord",
          VoiceConnection: "../services/catalog-service.js#VoicePage",
          CloneAttempt: "../services/clone-attempt-store.js#CloneAttemptRecord",
          CloneVoicePayload: "../services/clone-service.js#CloneResult",
        },
        scalars: { DateTime: "Date", Upload: "Promise<import('graphql-upload-minimal').FileUpload>" },
        enumsAsTypes: true,
        avoidOptionals: false,
        strictScalars: true,
      },
    },
  },
};
export default config;
