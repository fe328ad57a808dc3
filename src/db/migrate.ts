import { readFileSync } from "node:fs";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres, { type Sql } from "postgres";
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

/**
 * Migrations of the journal not yet applied, by tag: those newer than the last one drizzle recorded (the rule its
 * migrator applies), all of them on a database it never migrated.
 */
export async function pendingMigrations(sql: Sql, dir = MIGRATIONS_DIR): Promise<string[]> {
  const journal = JSON.parse(readFileSync(join(dir, "meta", "_journal.json"), "utf8")) as {
    entries: { when: number; tag: string }[];
  };
  const [known] = await sql`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`;
  const last = known?.ok
    ? Number((await sql`select coalesce(max(created_at), 0) as at from drizzle.__drizzle_migrations`)[0]?.at ?? 0)
    : -1;
  return journal.entries.filter((e) => e.when > last).map((e) => e.tag);
}
