import { defineConfig } from "drizzle-kit";

// drizzle-kit reads this for `sluice db generate` (and plain `drizzle-kit generate`). Migrations are applied by
// `sluice db migrate`, which connects with the stack's credentials, so no URL is needed here.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./src/db/migrations",
});
