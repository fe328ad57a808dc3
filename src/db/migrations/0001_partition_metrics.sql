-- Custom migration (drizzle cannot express partitioning): `metrics` becomes a table partitioned by range of
-- published_at, with a DEFAULT partition so a metric whose day has no partition (far past, far future) still lands
-- instead of failing the sink. The primary key already contains the partition key, so upserts keep working.
-- Existing rows are copied into the new table. The functions take the table as an argument so tests and benchmarks
-- run them on their own tables; `sluice db maintain` calls them on `metrics`.

-- Every partition of `parent` with its bounds (NULL bounds for the default partition).
CREATE OR REPLACE FUNCTION sluice_partitions(parent regclass)
RETURNS TABLE (part regclass, lower_bound timestamptz, upper_bound timestamptz, is_default boolean)
LANGUAGE sql STABLE AS $$
  SELECT c.oid::regclass,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz,
         pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = parent
$$;
--> statement-breakpoint
-- Creates the missing partitions of `step` (aligned to 2000-01-01 UTC) covering [from_ts, to_ts). A partition is
-- built as a plain table, filled with the rows of its range that waited in the default partition, then attached
-- (ATTACH takes a weaker lock on the parent than CREATE ... PARTITION OF, so the sink keeps writing). A range that
-- overlaps an existing partition (after a change of `step`) is skipped. Returns the names created.
CREATE OR REPLACE FUNCTION sluice_ensure_partitions(parent regclass, step interval, from_ts timestamptz, to_ts timestamptz)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  sch text; rel text; owner text; def regclass; lo timestamptz; hi timestamptz; name text;
BEGIN
  IF step < interval '1 minute' THEN
    RAISE EXCEPTION 'partition step must be at least 1 minute, got %', step;
  END IF;
  SELECT n.nspname, c.relname, c.relowner::regrole::text INTO sch, rel, owner
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = parent;
  SELECT p.part INTO def FROM sluice_partitions(parent) p WHERE p.is_default;
  lo := date_bin(step, from_ts, timestamptz '2000-01-01 00:00:00+00');
  WHILE lo < to_ts LOOP
    hi := lo + step;
    IF NOT EXISTS (SELECT 1 FROM sluice_partitions(parent) p
                   WHERE NOT p.is_default AND p.lower_bound < hi AND p.upper_bound > lo) THEN
      name := rel || '_p' || to_char(lo AT TIME ZONE 'UTC', CASE WHEN step >= interval '1 day' THEN 'YYYYMMDD' ELSE 'YYYYMMDD"_"HH24MI' END);
      EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING ALL)', sch, name, parent);
      IF def IS NOT NULL THEN
        EXECUTE format('WITH moved AS (DELETE FROM %s WHERE published_at >= $1 AND published_at < $2 RETURNING *) '
                       'INSERT INTO %I.%I SELECT * FROM moved', def, sch, name) USING lo, hi;
      END IF;
      EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)', parent, sch, name, lo, hi);
      EXECUTE format('ALTER TABLE %I.%I OWNER TO %s', sch, name, owner);
      RETURN NEXT name;
    END IF;
    lo := hi;
  END LOOP;
END
$$;
--> statement-breakpoint
-- Retention: drops every partition whose whole range ends at or before `older_than`. Rows in the default partition
-- are never dropped here (they are reported by `sluice db maintain`). Returns the names dropped.
CREATE OR REPLACE FUNCTION sluice_drop_partitions(parent regclass, older_than timestamptz)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  r record; name text;
BEGIN
  FOR r IN SELECT p.part FROM sluice_partitions(parent) p
           WHERE NOT p.is_default AND p.upper_bound <= older_than ORDER BY p.lower_bound LOOP
    name := r.part::text;
    EXECUTE format('DROP TABLE %s', r.part);
    RETURN NEXT name;
  END LOOP;
END
$$;
--> statement-breakpoint
ALTER TABLE "metrics" RENAME TO "metrics_unpartitioned";
--> statement-breakpoint
ALTER TABLE "metrics_unpartitioned" RENAME CONSTRAINT "metrics_pkey" TO "metrics_unpartitioned_pkey";
--> statement-breakpoint
CREATE TABLE "metrics" (
	"device_id" uuid NOT NULL,
	"published_at" timestamp (3) with time zone NOT NULL,
	"metric_name" smallint NOT NULL,
	"value" double precision NOT NULL,
	"tags" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "metrics_pkey" PRIMARY KEY("device_id","published_at","metric_name")
) PARTITION BY RANGE ("published_at");
--> statement-breakpoint
CREATE TABLE "metrics_default" PARTITION OF "metrics" DEFAULT;
--> statement-breakpoint
-- Daily partitions from the oldest existing row (at most 60 days back; older rows wait in the default partition)
-- to a week ahead. `sluice db maintain` keeps the window moving.
SELECT count(*) FROM sluice_ensure_partitions(
  'metrics', interval '1 day',
  least(now() - interval '1 day', greatest(now() - interval '60 days', coalesce((SELECT min("published_at") FROM "metrics_unpartitioned"), now()))),
  now() + interval '8 days');
--> statement-breakpoint
INSERT INTO "metrics" SELECT * FROM "metrics_unpartitioned";
--> statement-breakpoint
DROP TABLE "metrics_unpartitioned";
