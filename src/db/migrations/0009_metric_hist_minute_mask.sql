CREATE TABLE "metrics_hist_1h" (
	"source" text NOT NULL,
	"metric_name" smallint NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"n" bigint NOT NULL,
	"last_at" timestamp (3) with time zone NOT NULL,
	"hist_bins" integer[] NOT NULL,
	"hist_counts" bigint[] NOT NULL,
	CONSTRAINT "metrics_hist_1h_pkey" PRIMARY KEY("source","metric_name","bucket")
);
--> statement-breakpoint
ALTER TABLE "metrics_rollup_1h" ADD COLUMN "minute_mask" bigint DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- Custom part (drizzle cannot express functions): the two analyst queries still over a second at 100M rows
-- (docs/database.md, bench/reference/queries-100m.json).
-- 1. top_noisy counted distinct minutes over the whole minute rollup: each hourly row now carries a mask of the minutes
--    with data (bit k = minute k), so a device's active minutes are the bits of its hours' OR.
-- 2. p95_hourly merged every device's hourly histogram (~2M bins at 100M rows): metrics_hist_1h keeps them merged per
--    metric and hour, recomputed for the hours a pass changed.
-- Both are filled here from the existing rollups, so the upgrade costs a pass over the rollups, not over the table.
ALTER TABLE "metrics_hist_1h" OWNER TO sluice_owner;
--> statement-breakpoint
GRANT SELECT ON "metrics_hist_1h" TO sluice_analyst;
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
          SELECT hb.device_id, hb.metric_name, hb.hour, r.bucket AS minute, r.n, r.min_value, r.max_value, r.sum_value,
                 r.last_value, r.last_at, r.first_at, r.hist_bins, r.hist_counts
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
                          first_at, hist_bins, hist_counts, minute_mask)
        SELECT r.device_id, r.metric_name, r.hour, sum(r.n)::bigint, min(r.min_value), max(r.max_value), sum(r.sum_value),
               (array_agg(r.last_value ORDER BY r.last_at DESC))[1], max(r.last_at), min(r.first_at),
               coalesce(min(h.bins), '{}'), coalesce(min(h.counts), '{}'),
               bit_or(1::bigint << floor(extract(epoch FROM r.minute - r.hour) / 60)::integer)
          FROM r LEFT JOIN hist h USING (device_id, metric_name, hour)
         GROUP BY 1, 2, 3
        ON CONFLICT (device_id, metric_name, bucket) DO UPDATE SET
          n = EXCLUDED.n, min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value, sum_value = EXCLUDED.sum_value,
          last_value = EXCLUDED.last_value, last_at = EXCLUDED.last_at, first_at = EXCLUDED.first_at,
          hist_bins = EXCLUDED.hist_bins, hist_counts = EXCLUDED.hist_counts, minute_mask = EXCLUDED.minute_mask
      $q$, h1, m1) USING origin;
      GET DIAGNOSTICS n_1h = ROW_COUNT;
      -- Each changed hour of a metric merged over every device (the hour's rollup rows by their bucket index).
      EXECUTE format($q$
        WITH mh AS (
          SELECT DISTINCT metric_name, date_bin('1 hour', bucket, $1) AS hour FROM pg_temp.sluice_changed
        ), r AS MATERIALIZED (
          SELECT mh.metric_name, mh.hour, x.n, x.last_at, x.hist_bins, x.hist_counts
            FROM mh CROSS JOIN LATERAL (
              SELECT x.* FROM %1$s x WHERE x.bucket = mh.hour AND x.metric_name = mh.metric_name OFFSET 0
            ) x
        ), bins AS (
          SELECT r.metric_name, r.hour, b.bin, sum(b.k)::bigint AS k
            FROM r, unnest(r.hist_bins, r.hist_counts) AS b(bin, k) GROUP BY 1, 2, 3
        ), hist AS (
          SELECT metric_name, hour, array_agg(bin ORDER BY bin) AS bins, array_agg(k ORDER BY bin) AS counts
            FROM bins GROUP BY 1, 2
        ), tot AS (
          SELECT metric_name, hour, sum(n)::bigint AS n, max(last_at) AS last_at FROM r GROUP BY 1, 2
        )
        INSERT INTO metrics_hist_1h AS t (source, metric_name, bucket, n, last_at, hist_bins, hist_counts)
        SELECT $2, tot.metric_name, tot.hour, tot.n, tot.last_at, coalesce(h.bins, '{}'), coalesce(h.counts, '{}')
          FROM tot LEFT JOIN hist h USING (metric_name, hour)
        ON CONFLICT (source, metric_name, bucket) DO UPDATE SET
          n = EXCLUDED.n, last_at = EXCLUDED.last_at, hist_bins = EXCLUDED.hist_bins, hist_counts = EXCLUDED.hist_counts
      $q$, h1) USING origin, src::text;
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
UPDATE metrics_rollup_1h h SET minute_mask = m.mask
  FROM (SELECT device_id, metric_name, date_bin('1 hour', bucket, timestamptz '2000-01-01 00:00:00+00') AS hour,
               bit_or(1::bigint << floor(extract(epoch FROM bucket - date_bin('1 hour', bucket,
                 timestamptz '2000-01-01 00:00:00+00')) / 60)::integer) AS mask
          FROM metrics_rollup_1m GROUP BY 1, 2, 3) m
 WHERE h.device_id = m.device_id AND h.metric_name = m.metric_name AND h.bucket = m.hour;
--> statement-breakpoint
INSERT INTO metrics_hist_1h (source, metric_name, bucket, n, last_at, hist_bins, hist_counts)
SELECT 'metrics', t.metric_name, t.bucket, t.n, t.last_at, coalesce(h.bins, '{}'), coalesce(h.counts, '{}')
  FROM (SELECT metric_name, bucket, sum(n)::bigint AS n, max(last_at) AS last_at FROM metrics_rollup_1h GROUP BY 1, 2) t
  LEFT JOIN (
    SELECT metric_name, bucket, array_agg(bin ORDER BY bin) AS bins, array_agg(k ORDER BY bin) AS counts
      FROM (SELECT r.metric_name, r.bucket, b.bin, sum(b.k)::bigint AS k
              FROM metrics_rollup_1h r, unnest(r.hist_bins, r.hist_counts) AS b(bin, k) GROUP BY 1, 2, 3) x
     GROUP BY 1, 2
  ) h USING (metric_name, bucket);
