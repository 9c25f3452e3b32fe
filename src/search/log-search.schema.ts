// Input rules of the log search, shared by the GraphQL and REST transports.
import { z } from "zod";
import { jobFilterFieldsSchema } from "../jobs/job.schema.js";
import { logStreamSchema } from "../logs/log-line.schema.js";
import { SEARCH_TEXT } from "./log-pattern.js";

const chars = (text: string) => [...text].length;

export const logSearchInputSchema = z.object({
  text: z
    .string()
    .refine((text) => chars(text) >= SEARCH_TEXT.minChars, `must be at least ${SEARCH_TEXT.minChars} characters`)
    .refine((text) => chars(text) <= SEARCH_TEXT.maxChars, `must be at most ${SEARCH_TEXT.maxChars} characters`),
  regex: z.boolean().nullish(),
  stream: logStreamSchema.nullish(),
});
export type LogSearchInput = z.input<typeof logSearchInputSchema>;

/** JobFilter for a search: its bounds must leave a range (both are exclusive). */
export const searchFilterSchema = jobFilterFieldsSchema
  .refine((f) => !(f.startedAfter && f.startedBefore && f.startedAfter > f.startedBefore), {
    path: ["startedAfter"],
    message: "must not be after startedBefore",
  })
  .nullish();
export type SearchFilterInput = z.input<typeof searchFilterSchema>;
