import { z } from "zod";
import { SluiceError } from "../errors.ts";

/**
 * The one schema for SQL identifiers Sluice puts into statements unquoted (tables, roles, databases): lowercase, so
 * PostgreSQL's case folding cannot change them, and at most 63 bytes (NAMEDATALEN − 1), so it cannot truncate them.
 */
export const SqlIdentifier = z
  .string()
  .max(63, "must be at most 63 characters (PostgreSQL truncates longer names)")
  .regex(/^[a-z_][a-z0-9_]*$/, "must be a lowercase SQL identifier (a-z, 0-9, _; not starting with a digit)");

/** Returns `name` if it is a lowercase SQL identifier; throws BAD_TABLE naming `what` and the value otherwise. */
export function sqlIdentifier(name: string, what = "table name"): string {
  const r = SqlIdentifier.safeParse(name);
  if (!r.success) throw new SluiceError("BAD_TABLE", `${what} ${r.error.issues[0]!.message}, got "${name}"`);
  return r.data;
}
