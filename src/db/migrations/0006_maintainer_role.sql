-- Custom migration: the maintenance role the admin service's schedule logs in as (docs/decisions/
-- maintenance-in-admin.md). It may run maintenance on `metrics` and nothing else: four SECURITY DEFINER functions
-- owned by sluice_owner, with the table names fixed inside them and a pinned search_path, are the only things it may
-- execute. It reads no row, writes no table directly and cannot pick another table. Created NOLOGIN like the others;
-- `sluice db migrate` / setup give it its password (src/db/roles.ts).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_maintainer') THEN
    CREATE ROLE sluice_maintainer NOLOGIN;
  END IF;
END
$$;
--> statement-breakpoint
-- The owner acts inside the functions: it owns the tables; it needs to create partitions in the schema, temporary
-- tables (sluice_rollup) and the partition and rollup functions (revoked from PUBLIC by 0003).
DO $$
BEGIN
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO sluice_owner', current_database());
  EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO sluice_owner', current_schema());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO sluice_maintainer', current_database());
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO sluice_maintainer', current_schema());
END
$$;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION sluice_ensure_partitions(regclass, interval, timestamptz, timestamptz),
  sluice_drop_partitions(regclass, timestamptz), sluice_rollup(regclass, regclass, regclass) TO sluice_owner;
--> statement-breakpoint
-- Partitions of `step` from one step back to `ahead` steps ahead of now (the same window as `sluice db maintain`).
CREATE OR REPLACE FUNCTION sluice_maintain_partitions(step interval, ahead int) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  IF ahead IS NULL OR ahead < 1 OR ahead > 1000 THEN
    RAISE EXCEPTION 'partitions ahead must be 1 to 1000, got %', ahead;
  END IF;
  RETURN QUERY SELECT sluice_ensure_partitions('metrics'::regclass, step, now() - step, now() + step * (ahead + 1));
END
$$;
--> statement-breakpoint
-- Retention: drops the partitions of `metrics` wholly older than now − keep. The floor of one hour keeps a wrong
-- setting (or a stolen maintainer password) from emptying the table with `keep = 0`.
CREATE OR REPLACE FUNCTION sluice_maintain_retention(keep interval) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  IF keep IS NULL OR keep < interval '1 hour' THEN
    RAISE EXCEPTION 'retention must be at least 1 hour, got %', keep;
  END IF;
  RETURN QUERY SELECT sluice_drop_partitions('metrics'::regclass, now() - keep);
END
$$;
--> statement-breakpoint
-- The rollups of `metrics` brought up to date (sluice_rollup; the owner may read pg_stat_activity for the watermark).
CREATE OR REPLACE FUNCTION sluice_maintain_rollup()
RETURNS TABLE (changed_rows bigint, buckets_1m bigint, buckets_1h bigint, watermark timestamptz)
LANGUAGE sql SECURITY DEFINER AS $$
  SELECT * FROM sluice_rollup('metrics'::regclass, 'metrics_rollup_1m'::regclass, 'metrics_rollup_1h'::regclass)
$$;
--> statement-breakpoint
-- What a pass reports: partitions, the default partition's size and time range (counts, never rows), and the rollup
-- watermark (read by a service that lost the schedule's lock, for its lag gauge).
CREATE OR REPLACE FUNCTION sluice_maintain_status()
RETURNS TABLE (partitions bigint, default_rows bigint, default_oldest timestamptz, default_newest timestamptz,
               watermark timestamptz)
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  def regclass;
BEGIN
  SELECT p.part INTO def FROM sluice_partitions('metrics'::regclass) p WHERE p.is_default;
  SELECT count(*) INTO partitions FROM sluice_partitions('metrics'::regclass) p WHERE NOT p.is_default;
  default_rows := 0;
  IF def IS NOT NULL THEN
    EXECUTE format('SELECT count(*), min(published_at), max(published_at) FROM %s', def)
      INTO default_rows, default_oldest, default_newest;
  END IF;
  SELECT s.watermark INTO watermark FROM sluice_rollup_state s WHERE s.source = 'metrics';
  RETURN NEXT;
END
$$;
--> statement-breakpoint
-- Owned by the owner (not the superuser that runs migrations), a search_path fixed to this schema (pg_temp last, so
-- nobody's temporary objects shadow ours), and executable by the maintainer only.
DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['sluice_maintain_partitions(interval, int)', 'sluice_maintain_retention(interval)',
                           'sluice_maintain_rollup()', 'sluice_maintain_status()'] LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO sluice_owner', f);
    EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', f, current_schema());
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO sluice_maintainer', f);
  END LOOP;
END
$$;
