// Services validate their input with zod schemas declared next to each entity
// (<entity>.schema.ts); REST reuses the same schemas, so a rule lives once.
import { z } from "zod";
import { badInput } from "./errors.js";

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, root = "input"): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    path: [root, ...issue.path.map(String)].filter(Boolean).join("."),
    message: issue.message,
  }));
  throw badInput(problems.map((p) => `${p.path}: ${p.message}`).join("; "), problems);
}

/** A UUID: the ids this API mints (jobs, commands, users; VM ids may be any string, see vm.schema.ts). */
export const uuidSchema = z.uuid({ error: "must be a UUID" });
