-- Sluice analyst query pack, version 2 (metric names and units from metric_codes). `sluice query <name> [--device UUID] [--since 1h|ISO] [--limit N]` runs one as
-- the read-only analyst role. Parameters: :device (uuid or NULL = all devices), :since (timestamptz or NULL = all
-- time), :limit. Dashboards read the rollups (metrics_rollup_1m / _1h, current to sluice_rollup_state.watermark);
-- only what rollups cannot answer (exact totals, landing rate, percentiles) reads raw rows. Each block starts with
-- `-- name:` and `-- about:`; add a query by adding a block (test/e2e/db.test.ts runs every one).

-- name: total_rows
-- about: raw rows, devices and the published time range (exact, from the raw table)
select count(*) as rows, count(distinct device_id) as devices, min(published_at) as first_published, max(published_at) as last_published
  from metrics
 where (:device::uuid is null or device_id = :device::uuid)
   and (:since::timestamptz is null or published_at >= :since::timestamptz);

-- name: rows_per_device
-- about: rows per device from the hourly rollup, most first
select device_id, sum(n)::bigint as rows, min(bucket) as first_hour, max(last_at) as last_published
  from metrics_rollup_1h
 where (:device::uuid is null or device_id = :device::uuid)
   and (:since::timestamptz is null or bucket >= date_bin('1 hour', :since::timestamptz, timestamptz '2000-01-01 00:00:00+00'))
 group by device_id
 order by rows desc, device_id
 limit :limit;

-- name: ingest_rate
-- about: rows landed per minute (by created_at, the database's clock) over the last hour or since --since
select date_bin('1 minute', created_at, timestamptz '2000-01-01 00:00:00+00') as minute, count(*) as rows,
       round(count(*) / 60.0, 1) as rows_per_s
  from metrics
 where created_at >= coalesce(:since::timestamptz, now() - interval '1 hour')
   and (:device::uuid is null or device_id = :device::uuid)
 group by 1
 order by 1
 limit :limit;

-- name: latest_value
-- about: latest value per device and metric, with the metric's name and unit (from the minute rollup)
select distinct on (r.device_id, r.metric_name) r.device_id, coalesce(c.name, r.metric_name::text) as metric, c.unit,
       r.last_value as value, r.last_at as published_at
  from metrics_rollup_1m r
  left join metric_codes c on c.code = r.metric_name
 where (:device::uuid is null or r.device_id = :device::uuid)
   and (:since::timestamptz is null or r.bucket >= date_bin('1 minute', :since::timestamptz, timestamptz '2000-01-01 00:00:00+00'))
 order by r.device_id, r.metric_name, r.bucket desc
 limit :limit;

-- name: gaps
-- about: silent stretches per device: consecutive minutes with data more than a minute apart, longest first
with minutes as (
  select distinct device_id, bucket
    from metrics_rollup_1m
   where (:device::uuid is null or device_id = :device::uuid)
     and (:since::timestamptz is null or bucket >= date_bin('1 minute', :since::timestamptz, timestamptz '2000-01-01 00:00:00+00'))
), steps as (
  select device_id, lag(bucket) over (partition by device_id order by bucket) as before, bucket as after
    from minutes
)
select device_id, before + interval '1 minute' as silent_from, after as resumed_at, after - before - interval '1 minute' as silent_for
  from steps
 where after - before > interval '1 minute'
 order by silent_for desc, device_id
 limit :limit;

-- name: p95_hourly
-- about: 95th percentile of the value per metric (name, unit) per hour (raw rows: percentiles do not roll up)
select coalesce(c.name, m.metric_name::text) as metric, c.unit,
       date_bin('1 hour', m.published_at, timestamptz '2000-01-01 00:00:00+00') as hour, count(*) as rows,
       percentile_cont(0.95) within group (order by m.value) as p95
  from metrics m
  left join metric_codes c on c.code = m.metric_name
 where (:device::uuid is null or m.device_id = :device::uuid)
   and (:since::timestamptz is null or m.published_at >= :since::timestamptz)
 group by m.metric_name, c.name, c.unit, 3
 order by 3, m.metric_name
 limit :limit;

-- name: top_noisy
-- about: devices sending the most rows, with their rows per active minute (from the minute rollup)
select device_id, sum(n)::bigint as rows, count(distinct bucket) as active_minutes,
       round(sum(n)::numeric / count(distinct bucket), 1) as rows_per_active_minute
  from metrics_rollup_1m
 where (:device::uuid is null or device_id = :device::uuid)
   and (:since::timestamptz is null or bucket >= date_bin('1 minute', :since::timestamptz, timestamptz '2000-01-01 00:00:00+00'))
 group by device_id
 order by rows desc, device_id
 limit :limit;

-- name: metric_codes
-- about: the contract's metric codes: name, unit and what each measures (`metrics.metric_name` holds the code)
select code, name, unit, description
  from metric_codes
 order by code
 limit :limit;

-- name: rollup_freshness
-- about: how current the rollups are: watermark (every change before it is rolled up) and lag behind now
select source, watermark, now() - watermark as lag, rolled_at, changed_rows, buckets_1m
  from sluice_rollup_state
 order by source;
