-- Custom migration: what drizzle cannot express — the updated_at trigger, the incremental rollup function, roles
-- and grants. Roles are cluster-wide and created without LOGIN; `sluice db migrate` / setup give the login roles
-- their passwords (src/db/roles.ts), so no secret is ever in a migration.

-- Sets updated_at when an upsert really changes a row (value or tags). An identical replay leaves the row alone, so
-- it costs the rollups nothing. Fires only on UPDATE: first inserts, the bulk of ingest, never pay for it.
CREATE OR REPLACE FUNCTION sluice_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
--> statement-breakpoint
-- Installs the updated_at trigger on a metrics-shaped table (a partitioned table passes it to every partition).
CREATE OR REPLACE FUNCTION sluice_track_updates(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE OR REPLACE TRIGGER sluice_updated_at BEFORE UPDATE ON %s FOR EACH ROW '
                 'WHEN (OLD.value IS DISTINCT FROM NEW.value OR OLD.tags IS DISTINCT FROM NEW.tags) '
                 'EXECUTE FUNCTION sluice_touch_updated_at()', tbl);
END
$$;
--> statement-breakpoint
SELECT sluice_track_updates('metrics');
--> statement-breakpoint
-- Incremental rollups of `src` into the per-minute table `m1` and the per-hour table `h1`. Every bucket (device ×
-- metric × minute) touched by a row with updated_at in [previous watermark, new watermark) is recomputed from the
-- raw rows (not incremented), so a replayed or updated metric never counts twice; the hour buckets of those minutes
-- are then recomputed from `m1`. The new watermark is the older of "now" and the start of the oldest transaction
-- still open: a row written by a transaction still in flight has updated_at >= that start, so it is picked up by a
-- later run, never skipped. Runs on one source are serialised by an advisory lock.
CREATE OR REPLACE FUNCTION sluice_rollup(src regclass, m1 regclass, h1 regclass)
RETURNS TABLE (changed_rows bigint, buckets_1m bigint, buckets_1h bigint, watermark timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  origin constant timestamptz := timestamptz '2000-01-01 00:00:00+00';
  t0 timestamptz := clock_timestamp();
  oldest timestamptz;
  wm_old timestamptz;
  wm_new timestamptz;
  n_rows bigint := 0;
  n_1m bigint := 0;
  n_1h bigint := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('sluice_rollup:' || src::text));
  SELECT s.watermark INTO wm_old FROM sluice_rollup_state s WHERE s.source = src::text;
  wm_old := coalesce(wm_old, '-infinity');
  SELECT min(a.xact_start) INTO oldest FROM pg_stat_activity a
   WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL;
  wm_new := least(t0, coalesce(oldest, t0));
  IF wm_new > wm_old THEN
    DROP TABLE IF EXISTS pg_temp.sluice_changed;
    CREATE TEMP TABLE sluice_changed (device_id uuid, metric_name smallint, bucket timestamptz, n bigint) ON COMMIT DROP;
    EXECUTE format('INSERT INTO pg_temp.sluice_changed SELECT device_id, metric_name, date_bin(''1 minute'', published_at, $3), count(*) '
                   'FROM %s WHERE updated_at >= $1 AND updated_at < $2 GROUP BY 1, 2, 3', src) USING wm_old, wm_new, origin;
    ANALYZE pg_temp.sluice_changed;
    SELECT coalesce(sum(c.n), 0), count(*) INTO n_rows, n_1m FROM pg_temp.sluice_changed c;
    IF n_1m > 0 THEN
      EXECUTE format($q$
        INSERT INTO %s (device_id, metric_name, bucket, n, min_value, max_value, sum_value, last_value, last_at)
        SELECT m.device_id, m.metric_name, c.bucket, count(*), min(m.value), max(m.value), sum(m.value),
               (array_agg(m.value ORDER BY m.published_at DESC))[1], max(m.published_at)
          FROM pg_temp.sluice_changed c
          JOIN %s m ON m.device_id = c.device_id AND m.metric_name = c.metric_name
                   AND m.published_at >= c.bucket AND m.published_at < c.bucket + interval '1 minute'
         GROUP BY 1, 2, 3
        ON CONFLICT (device_id, metric_name, bucket) DO UPDATE SET
          n = EXCLUDED.n, min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value, sum_value = EXCLUDED.sum_value,
          last_value = EXCLUDED.last_value, last_at = EXCLUDED.last_at
      $q$, m1, src);
      EXECUTE format($q$
        INSERT INTO %s (device_id, metric_name, bucket, n, min_value, max_value, sum_value, last_value, last_at)
        SELECT r.device_id, r.metric_name, h.bucket, sum(r.n)::bigint, min(r.min_value), max(r.max_value), sum(r.sum_value),
               (array_agg(r.last_value ORDER BY r.last_at DESC))[1], max(r.last_at)
          FROM (SELECT DISTINCT device_id, metric_name, date_bin('1 hour', bucket, $1) AS bucket FROM pg_temp.sluice_changed) h
          JOIN %s r ON r.device_id = h.device_id AND r.metric_name = h.metric_name
                   AND r.bucket >= h.bucket AND r.bucket < h.bucket + interval '1 hour'
         GROUP BY 1, 2, 3
        ON CONFLICT (device_id, metric_name, bucket) DO UPDATE SET
          n = EXCLUDED.n, min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value, sum_value = EXCLUDED.sum_value,
          last_value = EXCLUDED.last_value, last_at = EXCLUDED.last_at
      $q$, h1, m1) USING origin;
      GET DIAGNOSTICS n_1h = ROW_COUNT;
    END IF;
    DROP TABLE pg_temp.sluice_changed;
  ELSE
    wm_new := wm_old;
  END IF;
  INSERT INTO sluice_rollup_state AS s (source, watermark, rolled_at, changed_rows, buckets_1m)
  VALUES (src::text, wm_new, clock_timestamp(), n_rows, n_1m)
  ON CONFLICT (source) DO UPDATE SET watermark = EXCLUDED.watermark, rolled_at = EXCLUDED.rolled_at,
    changed_rows = EXCLUDED.changed_rows, buckets_1m = EXCLUDED.buckets_1m;
  RETURN QUERY SELECT n_rows, n_1m, n_1h, wm_new;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_owner') THEN CREATE ROLE sluice_owner NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_sink') THEN CREATE ROLE sluice_sink NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_analyst') THEN CREATE ROLE sluice_analyst NOLOGIN; END IF;
END
$$;
--> statement-breakpoint
-- The owner role owns the schema's objects (migrations and `db maintain` act for it); new partitions take the
-- parent's owner (sluice_ensure_partitions). It may read pg_stat_activity fully, which the rollup watermark needs.
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema()
              AND (c.relname IN ('metrics', 'metrics_rollup_1m', 'metrics_rollup_1h', 'sluice_rollup_state')
                   OR c.oid IN (SELECT p.part FROM sluice_partitions('metrics') p))
              AND c.relkind IN ('r', 'p') LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO sluice_owner', r.t);
  END LOOP;
END
$$;
--> statement-breakpoint
GRANT pg_read_all_stats TO sluice_owner;
--> statement-breakpoint
-- The sink may only add and change metrics: INSERT and UPDATE, plus SELECT of the contract's columns, because
-- PostgreSQL checks SELECT on the conflict key and on every column the upsert reads (`SET value = EXCLUDED.value`).
-- No DELETE, no TRUNCATE, no other table, not even created_at/updated_at.
GRANT INSERT, UPDATE ON "metrics" TO sluice_sink;
--> statement-breakpoint
GRANT SELECT ("device_id", "published_at", "metric_name", "value", "tags") ON "metrics" TO sluice_sink;
--> statement-breakpoint
-- Analysts read the raw table, the rollups and their freshness; nothing else, and never write.
GRANT SELECT ON "metrics", "metrics_rollup_1m", "metrics_rollup_1h", "sluice_rollup_state" TO sluice_analyst;
--> statement-breakpoint
REVOKE ALL ON FUNCTION sluice_ensure_partitions(regclass, interval, timestamptz, timestamptz), sluice_drop_partitions(regclass, timestamptz),
  sluice_rollup(regclass, regclass, regclass), sluice_track_updates(regclass) FROM PUBLIC;
