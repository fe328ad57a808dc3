import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres, { type Sql } from "postgres";
import { SluiceError } from "../errors.ts";
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

/** A migration of drizzle's journal: its tag and its `when` (drizzle records it as `created_at` once applied). */
export interface JournalEntry {
  readonly when: number;
  readonly tag: string;
}

/**
 * Which migrations drizzle's migrator will apply: those newer than the last one it recorded. An unapplied one that is
 * not newer (generated on another branch, or a `when` in the future in the journal) would be skipped without a word,
 * so it is named in `skipped` instead. Pure.
 */
export function migrationStatus(
  journal: readonly JournalEntry[],
  applied: readonly number[],
): { pending: string[]; skipped: string[] } {
  const last = applied.length ? Math.max(...applied) : -1;
  const unapplied = journal.filter((e) => !applied.includes(e.when));
  return {
    pending: unapplied.filter((e) => e.when > last).map((e) => e.tag),
    skipped: unapplied.filter((e) => e.when <= last).map((e) => e.tag),
  };
}

/**
 * The journal with its newest entry (the one drizzle-kit just wrote, stamped with the clock) moved after every other
 * entry when the clock put it before one, so drizzle's migrator will not skip it. Pure.
 */
export function orderNewest<T extends JournalEntry>(entries: readonly T[]): T[] {
  const newest = entries.at(-1);
  if (!newest) return [];
  const before = Math.max(-1, ...entries.slice(0, -1).map((e) => e.when));
  return newest.when > before ? [...entries] : [...entries.slice(0, -1), { ...newest, when: before + 1 }];
}

/** Applies {@link orderNewest} to the journal file; returns the newest entry's tag when it moved it. */
export function orderJournalFile(dir = MIGRATIONS_DIR): string | undefined {
  const file = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(file, "utf8")) as { entries: JournalEntry[] };
  const ordered = orderNewest(journal.entries);
  if (ordered.at(-1)?.when === journal.entries.at(-1)?.when) return undefined;
  writeFileSync(file, `${JSON.stringify({ ...journal, entries: ordered }, null, 2)}\n`);
  return ordered.at(-1)?.tag;
}

/** Migrations of the journal not yet applied, by tag; fails with MIGRATION_ORDER on one drizzle would skip. */
export async function pendingMigrations(sql: Sql, dir = MIGRATIONS_DIR): Promise<string[]> {
  const journal = JSON.parse(readFileSync(join(dir, "meta", "_journal.json"), "utf8")) as { entries: JournalEntry[] };
  const [known] = await sql`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`;
  const applied = known?.ok
    ? (await sql`select created_at from drizzle.__drizzle_migrations`).map((r) => Number(r.created_at))
    : [];
  const { pending, skipped } = migrationStatus(journal.entries, applied);
  if (skipped.length > 0) {
    const last = new Date(Math.max(...applied)).toISOString();
    throw new SluiceError(
      "MIGRATION_ORDER",
      `migrations ${skipped.join(", ")} are not applied but older than the last applied one (${last}), so drizzle would skip them: set their "when" in ${join(dir, "meta", "_journal.json")} after ${Math.max(...applied)}, then run this again`,
    );
  }
  return pending;
}
