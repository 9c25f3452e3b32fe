// What a log search matches, written once for both engines that run it: the
// cache's PostgreSQL (`~`, which the pg_trgm index serves) picks candidate
// lines, and JavaScript (re2js, linear time: a user's pattern cannot make it
// backtrack for ever) computes each match's ranges. Both must read a pattern
// the same way, so neither gets the user's text: it is parsed (regexpp, the
// ECMAScript grammar) into a small dialect, refused outside it, and written out
// again for each engine in a spelling whose meaning they share:
//
// - case-insensitivity is spelled out: each letter becomes the class of its
//   cases ([eE]); the engines themselves run case-sensitive, so their own
//   case-folding rules (locale, Unicode folding) never come into it;
// - \d \w \s are ASCII ([0-9], [A-Za-z0-9_], [ \t\n\v\f\r]), spelled as classes;
// - `.` is any character, newline included, as PostgreSQL reads it by default;
// - ^ and $ are the start and end of the line's visible text;
// - groups are non-capturing; quantifiers greedy, counts at most 255
//   (PostgreSQL's limit).
// Refused (BAD_USER_INPUT, naming what): lookaround, \b \B, backreferences,
// \p{…}, lazy quantifiers, ranges other than within 0-9, a-z or A-Z, negated
// shorthands inside a class, NUL, and a pattern that matches the empty string.
//
// ANSI escape sequences (CSI: ESC [ parameters intermediates final, what colours
// are) are neither matched nor in the way: both engines match the line's visible
// text (VISIBLE_SQL, visibleText), and ranges are mapped back into the data as stored.
import { RegExpParser, type AST } from "@eslint-community/regexpp";
import { RE2JS } from "re2js";
import { badInput } from "../shared/errors.js";

/** One CSI escape sequence; the same bytes in PostgreSQL's and JavaScript's regex syntax. */
export const ANSI_CSI = "\\x1b\\[[0-?]*[ -/]*[@-~]";
const ANSI_JS = new RegExp(ANSI_CSI, "g");

/** [start, end) in UTF-16 code units of the data as stored. */
export interface TextRange {
  start: number;
  end: number;
}

/** Ranges a line reports at most: a line of 16 KiB could otherwise answer thousands. */
export const MAX_RANGES_PER_LINE = 100;

export const SEARCH_TEXT = { minChars: 3, maxChars: 256 };

/** A compiled search: `sql` for PostgreSQL's `~`, `ranges(data)` for JavaScript. */
export interface LogPattern {
  /** The pattern for PostgreSQL's case-sensitive `~` over the visible text. */
  readonly sql: string;
  /** Where the pattern matches in `data` (positions in the stored data); empty: no match. */
  ranges(data: string): TextRange[];
}

const MAX_COUNT = 255;
const SYNTAX = new Set([..."\\^$.|?*+()[]{}"]);
const CLASS_SYNTAX = new Set([..."\\]^-["]);
const DIGIT = "0-9";
const WORD = "A-Za-z0-9_";
const SPACE = " \t\n\v\f\r";

const refuse = (message: string) => badInput(`query.text: ${message}`, [{ path: "query.text", message }]);

/** The code points that stand for `cp` case-insensitively: itself and its one-code-point cases. */
function caseVariants(cp: number): number[] {
  const char = String.fromCodePoint(cp);
  const variants = new Set([cp]);
  for (const other of [char.toLowerCase(), char.toUpperCase()]) {
    const points = [...other];
    if (points.length === 1) variants.add(points[0]!.codePointAt(0)!);
  }
  return [...variants];
}

function literal(cp: number, inClass: boolean): string {
  if (cp === 0) throw refuse("NUL cannot occur in a log line");
  const char = String.fromCodePoint(cp);
  return (inClass ? CLASS_SYNTAX : SYNTAX).has(char) ? `\\${char}` : char;
}

const isDigit = (cp: number) => cp >= 0x30 && cp <= 0x39;
const isLower = (cp: number) => cp >= 0x61 && cp <= 0x7a;
const isUpper = (cp: number) => cp >= 0x41 && cp <= 0x5a;

function shorthand(set: AST.CharacterSet): string {
  switch (set.kind) {
    case "digit":
      return DIGIT;
    case "word":
      return WORD;
    case "space":
      return SPACE;
    default:
      throw refuse(`${set.raw} is not in the dialect`);
  }
}

/** The members of a class, case variants included. */
function classMembers(element: AST.CharacterClassElement): string {
  switch (element.type) {
    case "Character":
      return caseVariants(element.value).map((cp) => literal(cp, true)).join("");
    case "CharacterClassRange": {
      const [min, max] = [element.min.value, element.max.value];
      if (isDigit(min) && isDigit(max)) return `${literal(min, true)}-${literal(max, true)}`;
      if ((isLower(min) && isLower(max)) || (isUpper(min) && isUpper(max))) {
        const lower = [min, max].map((cp) => String.fromCodePoint(cp).toLowerCase());
        const upper = lower.map((c) => c.toUpperCase());
        return `${lower[0]}-${lower[1]}${upper[0]}-${upper[1]}`;
      }
      throw refuse(`range ${element.raw}: ranges go within 0-9, a-z or A-Z`);
    }
    case "CharacterSet":
      if (element.negate) throw refuse(`${element.raw} inside a class is not in the dialect`);
      return shorthand(element);
    default:
      throw refuse(`${element.raw} inside a class is not in the dialect`);
  }
}

function emitElement(element: AST.Element): string {
  switch (element.type) {
    case "Character": {
      const variants = caseVariants(element.value);
      return variants.length === 1 ? literal(element.value, false) : `[${variants.map((cp) => literal(cp, true)).join("")}]`;
    }
    case "CharacterClass":
      if (element.unicodeSets) throw refuse(`${element.raw} is not in the dialect`);
      return `[${element.negate ? "^" : ""}${element.elements.map(classMembers).join("")}]`;
    case "CharacterSet":
      if (element.kind === "any") return ".";
      if (element.kind === "property") throw refuse(`${element.raw}: Unicode properties are not in the dialect`);
      return `[${element.negate ? "^" : ""}${shorthand(element)}]`;
    case "Group":
    case "CapturingGroup":
      return `(?:${emitAlternatives(element.alternatives)})`;
    case "Quantifier": {
      if (!element.greedy) throw refuse(`${element.raw}: lazy quantifiers are not in the dialect`);
      const { min, max } = element;
      if (min > MAX_COUNT || (max !== Infinity && max > MAX_COUNT)) throw refuse(`${element.raw}: counts go up to ${MAX_COUNT}`);
      const count = min === 0 && max === Infinity ? "*" : min === 1 && max === Infinity ? "+" : min === 0 && max === 1 ? "?" : max === Infinity ? `{${min},}` : min === max ? `{${min}}` : `{${min},${max}}`;
      return `${emitElement(element.element)}${count}`;
    }
    case "Assertion":
      if (element.kind === "start") return "^";
      if (element.kind === "end") return "$";
      throw refuse(`${element.raw}: ${element.kind === "word" ? "word boundaries are" : "lookaround is"} not in the dialect`);
    default:
      throw refuse(`${element.raw}: ${element.type === "Backreference" ? "backreferences are" : "this is"} not in the dialect`);
  }
}

function emitAlternatives(alternatives: AST.Alternative[]): string {
  return alternatives.map((alt) => alt.elements.map(emitElement).join("")).join("|");
}

const parser = new RegExpParser({ ecmaVersion: 2025 });

/** The dialect's spelling of the user's text: itself escaped, or its regex translated. */
function translate(text: string, regex: boolean): string {
  if (!regex) return [...text].map((char) => emitElement({ type: "Character", value: char.codePointAt(0)! } as AST.Character)).join("");
  let pattern: AST.Pattern;
  try {
    pattern = parser.parsePattern(text, 0, text.length, { unicode: true });
  } catch (error) {
    throw refuse(`invalid regular expression: ${error instanceof Error ? error.message.replace(/^Invalid regular expression: /, "") : String(error)}`);
  }
  return emitAlternatives(pattern.alternatives);
}

/** Compiles a search (text already checked for length); BAD_USER_INPUT outside the dialect. */
export function compileLogPattern(text: string, regex: boolean): LogPattern {
  const sql = translate(text, regex);
  // (?s): `.` matches newlines too, as in PostgreSQL.
  const js = RE2JS.compile(`(?s)${sql}`);
  if (js.matcher("").find()) throw refuse("the pattern matches the empty string, so it would match every line");
  return {
    sql,
    ranges(data) {
      const { text: visible, offsets } = visibleText(data);
      const found: TextRange[] = [];
      const matcher = js.matcher(visible);
      while (found.length < MAX_RANGES_PER_LINE && matcher.find()) {
        const [start, end] = [matcher.start(), matcher.end()];
        found.push({ start: offsets[start]!, end: offsets[end - 1]! + 1 });
      }
      return found;
    },
  };
}

/**
 * The line without its ANSI escape sequences, and for each of its code units
 * the position it came from in `data` (what ranges are reported in).
 */
export function visibleText(data: string): { text: string; offsets: number[] } {
  if (!data.includes("\x1b")) return { text: data, offsets: identity(data.length) };
  const offsets: number[] = [];
  let text = "";
  let from = 0;
  for (const match of data.matchAll(ANSI_JS)) {
    text += data.slice(from, match.index);
    for (let i = from; i < match.index; i++) offsets.push(i);
    from = match.index + match[0].length;
  }
  text += data.slice(from);
  for (let i = from; i < data.length; i++) offsets.push(i);
  return { text, offsets };
}

let identityOffsets: number[] = [];
function identity(length: number): number[] {
  if (identityOffsets.length < length) identityOffsets = Array.from({ length: Math.max(length, 2 * identityOffsets.length) }, (_, i) => i);
  return identityOffsets;
}
