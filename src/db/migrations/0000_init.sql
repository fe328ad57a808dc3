CREATE TABLE "metrics" (
	"device_id" uuid NOT NULL,
	"published_at" timestamp (3) with time zone NOT NULL,
	"metric_name" smallint NOT NULL,
	"value" double precision NOT NULL,
	"tags" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "metrics_pkey" PRIMARY KEY("device_id","published_at","metric_name")
);
