// Prisma CLI configuration. The CLI is used only for `prisma generate` here:
// migrations are applied by src/infra/postgres/migrate.ts (Prisma's schema
// engine is a download these machines cannot make).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost/unused" },
});
