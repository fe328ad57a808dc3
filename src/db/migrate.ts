import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { pgTls } from "./tls.ts";

/** Folder of the drizzle-kit generated migrations. */
export const MIGRATIONS_DIR = join(import.meta.dir, "migrations");

/** Applies pending migrations (drizzle's journal table makes a second run a no-op). */
export async function migrateDb(url: string, tls: ReturnType<typeof pgTls> = {}): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, ...tls });
  try {
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
