// What the stand-alone benchmark runs (S6 live-tail.ts, hostile.ts) share: a
// dev user with a token on the bench stores, the API's env on them, and a
// GraphQL call that fails loudly.
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { hashPassword } from "../src/auth/password";
import { createTokenIssuer } from "../src/auth/token";
import { createPrisma } from "../src/infra/postgres/prisma";
import { UserRepository } from "../src/users/user.repository";
import { ROOT } from "./run";
import type { BenchStores } from "./stores";

/** A dev user (through the users repository, as the test factories do), its token, and the env an API on these stores needs. */
export async function benchDev(stores: BenchStores, email: string, password = randomBytes(8).toString("hex")) {
  const prisma = createPrisma(stores.databaseUrl);
  const dev = await new UserRepository(prisma).create({ email, passwordHash: await hashPassword(password), role: "dev" });
  await prisma.$disconnect();
  const jwtSecret = randomBytes(32).toString("hex");
  const { token } = await createTokenIssuer(jwtSecret, 12).sign(dev.id, "dev");
  const serverEnv = {
    DATABASE_URL: stores.databaseUrl,
    DYNAMODB_ENDPOINT: stores.dynamoEndpoint,
    DYNAMODB_TABLE_PREFIX: stores.tablePrefix,
    JWT_SECRET: jwtSecret,
  };
  return { token, serverEnv };
}

/** One GraphQL call with the token; throws on any error in the answer. */
export async function gql(url: string, token: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: Array<{ message: string }> };
  if (body.errors) throw new Error(`${query.slice(0, 40)}: ${body.errors[0]!.message}`);
  return body.data;
}

/**
 * Puts `markdown` (a section marked <!-- name begin --> … <!-- name end -->) at
 * the end of bench/RESULTS.md (or BENCH_RESULTS), in place of that section's
 * previous run; `make bench` keeps these sections when it rewrites the file.
 */
export async function writeResultsSection(name: string, markdown: string, env = process.env): Promise<void> {
  const target = env.BENCH_RESULTS ?? path.join(ROOT, "bench", "RESULTS.md");
  const current = await readFile(target, "utf8").catch(() => "");
  const previous = new RegExp(`<!-- ${name} begin -->[\\s\\S]*?<!-- ${name} end -->\\n?`);
  await writeFile(target, `${current.replace(previous, "").trimEnd()}\n\n${markdown}`);
  console.error(`bench: ${name} written to ${path.relative(process.cwd(), target)}`);
}

/** The p-th percentile of ascending `sorted` (nearest rank); NaN when empty. */
export const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : Number.NaN;
