import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { z } from "zod";
import { migrateDb } from "../db/migrate.ts";
import { SluiceError } from "../errors.ts";
import { postgresUrl } from "../stack/postgres.ts";
import { parseFlags, type Command } from "./command.ts";

export const dbCommand: Command = {
  name: "db",
  summary: "database: `db migrate` applies migrations, `db generate --name N` creates one from src/db/schema.ts",
  usage: `sluice db migrate
sluice db generate --name NAME

  migrate    apply pending drizzle migrations to the stack's database
  generate   diff src/db/schema.ts against the migrations and write a new one (drizzle-kit)`,
  async run(argv, { ctx, out }) {
    const { flags, positionals } = parseFlags("db", argv, { name: { type: "string" } }, z.object({ name: z.string().regex(/^[a-z0-9_]+$/, "must be lowercase letters, digits or _").optional() }));
    switch (positionals[0]) {
      case "migrate":
        await migrateDb(postgresUrl(ctx));
        out("migrations applied");
        return 0;
      case "generate": {
        const kit = join(ctx.paths.root, "node_modules", ".bin", "drizzle-kit");
        const r = spawnSync(kit, ["generate", ...(flags.name ? ["--name", flags.name] : [])], { cwd: ctx.paths.root, stdio: "inherit" });
        return r.status ?? 1;
      }
      default:
        throw new SluiceError("USAGE", `sluice db: expected "migrate" or "generate", got ${positionals[0] ? `"${positionals[0]}"` : "nothing"}`);
    }
  },
};
