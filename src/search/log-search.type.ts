import { Field, InputType, Int, ObjectType } from "type-graphql";
import { connectionOf } from "../graphql/connection.js";
import { JobType } from "../jobs/job.type.js";
import { LogLineType, LogStreamEnum } from "../logs/log-line.type.js";
import { SEARCH_TEXT } from "./log-pattern.js";

@ObjectType("TextRange", { simpleResolvers: true, description: "A [start, end) range of UTF-16 code units in LogLine.data." })
export class TextRangeType {
  @Field(() => Int)
  start!: number;

  @Field(() => Int)
  end!: number;
}

@ObjectType("LogMatch", { simpleResolvers: true, description: "A log line that matched a search." })
export class LogMatchType {
  @Field(() => LogLineType)
  line!: LogLineType;

  @Field(() => JobType)
  job!: JobType;

  @Field(() => [TextRangeType], { description: "Where the search matched in line.data." })
  ranges!: TextRangeType[];

  @Field(() => String, { description: "The line's cursor in Job.logs: pass it as `after` there (or to jobLogTail) to read on from this line." })
  lineCursor!: string;
}

export const LogMatchConnection = connectionOf(LogMatchType, "LogMatch");

@InputType("LogSearchInput")
export class LogSearchInputType {
  @Field(() => String, {
    description: `What to find in LogLine.data: at least ${SEARCH_TEXT.minChars} characters, case-insensitive. ANSI escape sequences in the data are skipped, neither matched nor in the way.`,
  })
  text!: string;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: "Read `text` as a regular expression (PostgreSQL's, case-insensitive) instead of plain text. The dialect both engines read alike (README, \"Log search\"); anything else is BAD_USER_INPUT.",
  })
  regex?: boolean | null;

  @Field(() => LogStreamEnum, { nullable: true })
  stream?: LogStreamEnum | null;
}
