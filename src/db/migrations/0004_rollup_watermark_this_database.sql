-- Custom migration: the rollup watermark waits only for open transactions of this database (a long transaction in
-- another database of the cluster cannot write our tables, and must not hold the rollups back). Same function as in
-- 0003 otherwise.
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
