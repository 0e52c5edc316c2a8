// Prisma 7 reads its settings from here. The URL is only used by Prisma's own
// CLI (`prisma migrate deploy`/`diff` on a connected machine); the gateway
// itself connects through a driver adapter built in src/db/prisma-client.ts.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres" },
});
