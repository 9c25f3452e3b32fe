// GraphQL Code Generator: typed documents for the operations the tests send
// (tests/operations/*.graphql), checked against the emitted schema.graphql.
// Regenerate with `npm run codegen` after changing an operation or the schema; it also
// writes the trusted-documents manifest tests/generated/persisted-documents.json.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["tests/operations/**/*.graphql"],
  generates: {
    "tests/generated/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
        gqlTagName: "graphql",
        // tests/generated/persisted-documents.json: { sha256 of each document's text: text },
        // the trusted-documents manifest a production server takes (TRUSTED_DOCUMENTS).
        persistedDocuments: { mode: "embedHashInDocument", hashAlgorithm: "sha256" },
      },
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
