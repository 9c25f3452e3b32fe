// GraphQL Code Generator: typed documents for the operations the tests send
// (tests/operations/*.graphql), checked against the emitted schema.graphql.
// Regenerate with `npm run codegen` after changing an operation or the schema.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["tests/operations/**/*.graphql"],
  generates: {
    "tests/generated/": {
      preset: "client",
      presetConfig: { fragmentMasking: false, gqlTagName: "graphql" },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: {
          DateTimeISO: "string",
          EmailAddress: "string",
          JSONObject: "Record<string, unknown>",
          LogTimestamp: "string",
        },
      },
    },
  },
  hooks: {},
};

export default config;
