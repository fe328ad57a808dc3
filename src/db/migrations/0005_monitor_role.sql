-- Custom migration: the monitoring role the admin service (`sluice serve`) logs in as, instead of the superuser.
-- Created without LOGIN like the others; `sluice db migrate` / setup give it its password (src/db/roles.ts).
-- What /ready, /metrics and the dashboard ask PostgreSQL: `select 1`, and the per-table counters of
-- pg_stat_user_tables (n_tup_ins, n_tup_upd) for `metrics` and its partitions (pg_partition_tree). PostgreSQL shows
-- those counters to every role, so the role gets only CONNECT and the schema's USAGE (spelt out, for databases that
-- revoked them from PUBLIC) and deliberately no pg_monitor / pg_read_all_stats: those would show it every session's
-- query text and every setting, which nothing here needs. It reads no table's rows and writes nothing.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_monitor') THEN CREATE ROLE sluice_monitor NOLOGIN; END IF;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO sluice_monitor', current_database());
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO sluice_monitor', current_schema());
END
$$;
