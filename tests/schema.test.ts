import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { printGraphQLSchema } from "../src/graphql/schema";

describe("schema.graphql", () => {
  it("is what the code emits (run `npm run schema:emit` after changing a type)", async () => {
    const committed = await readFile(new URL("../schema.graphql", import.meta.url), "utf8");
    expect(committed).toBe(await printGraphQLSchema());
  });
});
