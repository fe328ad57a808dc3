CREATE TABLE "metrics_rollup_1h" (
	"device_id" uuid NOT NULL,
	"metric_name" smallint NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"n" bigint NOT NULL,
	"min_value" double precision NOT NULL,
	"max_value" double precision NOT NULL,
	"sum_value" double precision NOT NULL,
	"avg_value" double precision GENERATED ALWAYS AS (sum_value / n) STORED,
	"last_value" double precision NOT NULL,
	"last_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "metrics_rollup_1h_pkey" PRIMARY KEY("device_id","metric_name","bucket")
);
--> statement-breakpoint
CREATE TABLE "metrics_rollup_1m" (
	"device_id" uuid NOT NULL,
	"metric_name" smallint NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"n" bigint NOT NULL,
	"min_value" double precision NOT NULL,
	"max_value" double precision NOT NULL,
	"sum_value" double precision NOT NULL,
	"avg_value" double precision GENERATED ALWAYS AS (sum_value / n) STORED,
	"last_value" double precision NOT NULL,
	"last_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "metrics_rollup_1m_pkey" PRIMARY KEY("device_id","metric_name","bucket")
);
--> statement-breakpoint
CREATE TABLE "sluice_rollup_state" (
	"source" text PRIMARY KEY NOT NULL,
	"watermark" timestamp with time zone NOT NULL,
	"rolled_at" timestamp with time zone NOT NULL,
	"changed_rows" bigint NOT NULL,
	"buckets_1m" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE INDEX "metrics_rollup_1h_bucket" ON "metrics_rollup_1h" USING btree ("bucket");--> statement-breakpoint
CREATE INDEX "metrics_rollup_1m_bucket" ON "metrics_rollup_1m" USING btree ("bucket");--> statement-breakpoint
CREATE INDEX "metrics_created_at_brin" ON "metrics" USING brin ("created_at");--> statement-breakpoint
CREATE INDEX "metrics_updated_at_brin" ON "metrics" USING brin ("updated_at");