CREATE TABLE "metric_codes" (
	"code" smallint PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"unit" text NOT NULL,
	"description" text NOT NULL,
	CONSTRAINT "metric_codes_name_unique" UNIQUE("name")
);
--> statement-breakpoint
-- Owned like the other tables (0003); analysts read it, the setup job (superuser) keeps its rows equal to the contract.
ALTER TABLE "metric_codes" OWNER TO sluice_owner;
--> statement-breakpoint
GRANT SELECT ON "metric_codes" TO sluice_analyst;
