import { z } from "zod";

/**
 * Text both stores keep byte for byte: at most `maxBytes` bytes of UTF-8, no
 * NUL (PostgreSQL's text cannot hold it) and no lone surrogate (it has no
 * UTF-8 form, so the stores would each replace it their own way).
 */
export function storableText(maxBytes: number) {
  return z
    .string()
    .refine((s) => Buffer.byteLength(s, "utf8") <= maxBytes, `must be at most ${maxBytes} bytes (UTF-8)`)
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters")
    .refine((s) => !/[\uD800-\uDFFF]/u.test(s), "must be well-formed Unicode (no lone surrogates)");
}
