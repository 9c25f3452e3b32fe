import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One graphql for everyone: Vite would pick graphql's .mjs build for our
    // sources and type-graphql while Node gives Apollo and graphql-scalars the
    // CommonJS one, and graphql refuses types from "another module or realm".
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["tests/**/*.test.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    setupFiles: ["tests/support/file-setup.ts"],
    // Each file gets its own database and table prefix, so files run in parallel.
    fileParallelism: true,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    server: { deps: { inline: ["type-graphql"] } },
  },
});
