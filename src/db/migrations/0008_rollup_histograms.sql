CREATE TABLE "metrics_landed_1m" (
	"source" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"rows" bigint NOT NULL,
	CONSTRAINT "metrics_landed_1m_pkey" PRIMARY KEY("source","minute")
);
--> statement-breakpoint
ALTER TABLE "metrics_rollup_1h" ADD COLUMN "first_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "metrics_rollup_1h" ADD COLUMN "hist_bins" integer[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics_rollup_1h" ADD COLUMN "hist_counts" integer[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics_rollup_1m" ADD COLUMN "first_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "metrics_rollup_1m" ADD COLUMN "hist_bins" integer[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics_rollup_1m" ADD COLUMN "hist_counts" integer[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
-- Custom part (drizzle cannot express functions): queries an analyst can wait for at 100M rows (docs/database.md).
-- 1. The rollups count exactly the rows created before the watermark, so rollup + tail (created_at >= watermark)
--    partitions the table: counts are exact without scanning it. A bucket is recomputed when a row in it was updated
--    or created in the interval; only rows created before the new watermark count (every such row is committed: the
--    watermark is at most the start of the oldest open transaction, and a row's created_at is its transaction's start).
-- 2. Each bucket keeps a histogram of its values in bins of 1 % relative width, so a percentile over any set of
--    buckets is within 1 % of the exact (nearest-rank) one; and the instant of its first metric.
-- 3. metrics_landed_1m counts the rows created per minute (the landing rate), once each as the watermark passes them.
-- The state is reset so the next pass recomputes every bucket with the new columns.
ALTER TABLE "metrics_landed_1m" OWNER TO sluice_owner;
--> statement-breakpoint
GRANT SELECT ON "metrics_landed_1m" TO sluice_analyst;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sluice_bin(v double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN v = 0 THEN 0
              WHEN v > 0 THEN 50000 + ceil(ln(v) / ln(1.01::float8 / 0.99::float8))::integer
              ELSE -(50000 + ceil(ln(-v) / ln(1.01::float8 / 0.99::float8))::integer) END
$$;
--> statement-breakpoint
-- The value a bin stands for: within 1 % of every value in it (bin i holds (g^(i-1), g^i], g = 1.01/0.99).
CREATE OR REPLACE FUNCTION sluice_bin_value(b integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN b = 0 THEN 0::float8
              ELSE sign(b) * least(1.7976931348623157e308::float8,
                     2 * exp(least(709, (abs(b) - 50000) * ln(1.01::float8 / 0.99::float8))) / (1.01::float8 / 0.99::float8 + 1))
         END
$$;
--> statement-breakpoint
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
   WHERE a.backend_type = 'client backend' AND a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL;
  wm_new := least(t0, coalesce(oldest, t0));
  IF wm_new > wm_old THEN
    DROP TABLE IF EXISTS pg_temp.sluice_changed;
    CREATE TEMP TABLE sluice_changed (device_id uuid, metric_name smallint, bucket timestamptz, n bigint) ON COMMIT DROP;
    EXECUTE format('INSERT INTO pg_temp.sluice_changed SELECT device_id, metric_name, date_bin(''1 minute'', published_at, $3), count(*) '
                   'FROM %s WHERE (updated_at >= $1 AND updated_at < $2) OR (created_at >= $1 AND created_at < $2) '
                   'GROUP BY 1, 2, 3', src) USING wm_old, wm_new, origin;
    ANALYZE pg_temp.sluice_changed;
    SELECT coalesce(sum(c.n), 0), count(*) INTO n_rows, n_1m FROM pg_temp.sluice_changed c;
    IF n_1m > 0 THEN
      EXECUTE format($q$
        WITH r AS MATERIALIZED (
          -- One primary-key range scan per changed bucket. OFFSET 0 keeps the planner from flattening it into a join
          -- it may run as a scan of the whole table: a pass must cost what changed, not what is stored.
          SELECT c.device_id, c.metric_name, c.bucket, m.published_at, m.value
            FROM pg_temp.sluice_changed c
            CROSS JOIN LATERAL (
              SELECT x.published_at, x.value FROM %2$s x
               WHERE x.device_id = c.device_id AND x.metric_name = c.metric_name AND x.created_at < $1
                 AND x.published_at >= c.bucket AND x.published_at < c.bucket + interval '1 minute'
              OFFSET 0
            ) m
        ), bins AS (
          SELECT device_id, metric_name, bucket, sluice_bin(value) AS bin, count(*)::integer AS k FROM r GROUP BY 1, 2, 3, 4
        ), hist AS (
          SELECT device_id, metric_name, bucket, array_agg(bin ORDER BY bin) AS bins, array_agg(k ORDER BY bin) AS counts
            FROM bins GROUP BY 1, 2, 3
        ), agg AS (
          SELECT device_id, metric_name, bucket, count(*) AS n, min(value) AS lo, max(value) AS hi, sum(value) AS s,
                 (array_agg(value ORDER BY published_at DESC))[1] AS last_value, max(published_at) AS last_at,
                 min(published_at) AS first_at
            FROM r GROUP BY 1, 2, 3
        )
        INSERT INTO %1$s (device_id, metric_name, bucket, n, min_value, max_value, sum_value, last_value, last_at,
                          first_at, hist_bins, hist_counts)
        SELECT a.device_id, a.metric_name, a.bucket, a.n, a.lo, a.hi, a.s, a.last_value, a.last_at, a.first_at,
               h.bins, h.counts
          FROM agg a JOIN hist h USING (device_id, metric_name, bucket)
        ON CONFLICT (device_id, metric_name, bucket) DO UPDATE SET
          n = EXCLUDED.n, min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value, sum_value = EXCLUDED.sum_value,
          last_value = EXCLUDED.last_value, last_at = EXCLUDED.last_at, first_at = EXCLUDED.first_at,
          hist_bins = EXCLUDED.hist_bins, hist_counts = EXCLUDED.hist_counts
      $q$, m1, src) USING wm_new;
      EXECUTE format($q$
        WITH hb AS (
          SELECT DISTINCT device_id, metric_name, date_bin('1 hour', bucket, $1) AS hour FROM pg_temp.sluice_changed
        ), r AS MATERIALIZED (
          SELECT hb.device_id, hb.metric_name, hb.hour, r.n, r.min_value, r.max_value, r.sum_value, r.last_value,
                 r.last_at, r.first_at, r.hist_bins, r.hist_counts
            FROM hb CROSS JOIN LATERAL (
              SELECT x.* FROM %2$s x
               WHERE x.device_id = hb.device_id AND x.metric_name = hb.metric_name
                 AND x.bucket >= hb.hour AND x.bucket < hb.hour + interval '1 hour'
              OFFSET 0
            ) r
        ), bins AS (
          SELECT r.device_id, r.metric_name, r.hour, b.bin, sum(b.k)::integer AS k
            FROM r, unnest(r.hist_bins, r.hist_counts) AS b(bin, k) GROUP BY 1, 2, 3, 4
        ), hist AS (
          SELECT device_id, metric_name, hour, array_agg(bin ORDER BY bin) AS bins, array_agg(k ORDER BY bin) AS counts
            FROM bins GROUP BY 1, 2, 3
        )
        INSERT INTO %1$s (device_id, metric_name, bucket, n, min_value, max_value, sum_value, last_value, last_at,
                          first_at, hist_bins, hist_counts)
        SELECT r.device_id, r.metric_name, r.hour, sum(r.n)::bigint, min(r.min_value), max(r.max_value), sum(r.sum_value),
               (array_agg(r.last_value ORDER BY r.last_at DESC))[1], max(r.last_at), min(r.first_at),
               coalesce(min(h.bins), '{}'), coalesce(min(h.counts), '{}')
          FROM r LEFT JOIN hist h USING (device_id, metric_name, hour)
         GROUP BY 1, 2, 3
        ON CONFLICT (device_id, metric_name, bucket) DO UPDATE SET
          n = EXCLUDED.n, min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value, sum_value = EXCLUDED.sum_value,
          last_value = EXCLUDED.last_value, last_at = EXCLUDED.last_at, first_at = EXCLUDED.first_at,
          hist_bins = EXCLUDED.hist_bins, hist_counts = EXCLUDED.hist_counts
      $q$, h1, m1) USING origin;
      GET DIAGNOSTICS n_1h = ROW_COUNT;
    END IF;
    EXECUTE format('INSERT INTO metrics_landed_1m AS l (source, minute, rows) '
                   'SELECT $3, date_bin(''1 minute'', created_at, $4), count(*) FROM %s '
                   'WHERE created_at >= $1 AND created_at < $2 GROUP BY 2 '
                   'ON CONFLICT (source, minute) DO UPDATE SET rows = l.rows + EXCLUDED.rows', src)
      USING wm_old, wm_new, src::text, origin;
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
-- The earliest published_at a partitioned table still keeps: the oldest partition's lower bound, or older rows waiting
-- in the default partition. The rollups outlive retention, so answers that must match the table (total_rows,
-- p95_hourly) read only buckets from here on. Runs as the owner: the analyst may read the table, not its partitions.
CREATE OR REPLACE FUNCTION sluice_retained_from(t regclass) RETURNS timestamptz
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  lo timestamptz;
  d regclass;
  dmin timestamptz;
BEGIN
  SELECT min(CASE WHEN b LIKE 'FOR VALUES FROM (MINVALUE)%' THEN '-infinity'::timestamptz
                  ELSE substring(b from $r$FROM \('([^']+)'\)$r$)::timestamptz END)
    INTO lo
    FROM (SELECT pg_get_expr(c.relpartbound, c.oid) AS b
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = t) p
   WHERE b <> 'DEFAULT';
  SELECT c.oid INTO d FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
   WHERE i.inhparent = t AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT';
  IF d IS NOT NULL THEN
    EXECUTE format('SELECT min(published_at) FROM %s', d) INTO dmin;
  END IF;
  RETURN coalesce(least(lo, dmin), '-infinity');
END
$$;
--> statement-breakpoint
ALTER FUNCTION sluice_retained_from(regclass) OWNER TO sluice_owner;
--> statement-breakpoint
DELETE FROM sluice_rollup_state;
