import { writeFile } from "node:fs/promises";
import { printGraphQLSchema } from "../src/graphql/schema";

await writeFile(new URL("../schema.graphql", import.meta.url), await printGraphQLSchema());
console.log("schema.graphql written");
