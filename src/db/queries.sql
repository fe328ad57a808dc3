-- Sluice analyst query pack, version 2 (metric names and units from metric_codes). `sluice query <name> [--device UUID] [--since 1h|ISO] [--limit N]` runs one as
-- the read-only analyst role. Parameters: :device (uuid or NULL = all devices), :since (timestamptz or NULL = all
-- time), :limit. Every query reads the rollups (metrics_rollup_1m / _1h, metrics_hist_1h, metrics_landed_1m; they hold exactly the rows
-- created before sluice_rollup_state.watermark) plus, where it needs the newest rows, the tail of the table created
-- since the watermark (a BRIN range): counts are exact, percentiles within 1 % (histograms with 1 % bins), and
-- :since is applied at the minute (counts) or hour (percentiles). A block's `-- exact:` part is its raw-table answer,
-- run by `sluice query <name> --exact`. Each block starts with `-- name:` and `-- about:`; add a query by adding a
-- block (test/e2e/db.test.ts runs every one, and compares each fast answer with its exact one).

-- name: total_rows
-- about: rows, devices and the published time range (rollups + the rows since their watermark; --exact: raw table)
with w as (
  select coalesce((select watermark from sluice_rollup_state where source = 'metrics'), '-infinity') as wm,
         date_bin('1 hour', :since::timestamptz - interval '1 microsecond', timestamptz '2000-01-01 00:00:00+00') + interval '1 hour' as h0,
         sluice_retained_from('metrics') as kept
), parts as (
  select r.device_id, r.n, r.first_at, r.last_at
    from metrics_rollup_1h r, w
   where r.last_at >= w.kept
     and (:device::uuid is null or r.device_id = :device::uuid)
     and (:since::timestamptz is null or r.bucket >= w.h0)
  union all
  select r.device_id, r.n, r.first_at, r.last_at
    from metrics_rollup_1m r, w
   where :since::timestamptz is not null and r.last_at >= w.kept
     and r.bucket >= date_bin('1 minute', :since::timestamptz, timestamptz '2000-01-01 00:00:00+00') and r.bucket < w.h0
     and (:device::uuid is null or r.device_id = :device::uuid)
  union all
  select m.device_id, 1, m.published_at, m.published_at
    from metrics m, w
   where m.created_at >= w.wm
     and (:device::uuid is null or m.device_id = :device::uuid)
     and (:since::timestamptz is null or m.published_at >= :since::timestamptz)
)
select coalesce(sum(n), 0)::bigint as rows, count(distinct device_id) as devices, min(first_at) as first_published,
       max(last_at) as last_published
  from parts;
-- exact:
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
with w as (
  select coalesce((select watermark from sluice_rollup_state where source = 'metrics'), '-infinity') as wm,
         coalesce(:since::timestamptz, now() - interval '1 hour') as t0
), parts as (
  select l.minute, l.rows
    from metrics_landed_1m l, w
   where :device::uuid is null and l.source = 'metrics' and l.minute >= date_bin('1 minute', w.t0, timestamptz '2000-01-01 00:00:00+00')
  union all
  select date_bin('1 minute', m.created_at, timestamptz '2000-01-01 00:00:00+00'), count(*)
    from metrics m, w
   where m.created_at >= w.t0
     and (case when :device::uuid is null then m.created_at >= w.wm else m.device_id = :device::uuid end)
   group by 1
)
select minute, sum(rows)::bigint as rows, round(sum(rows) / 60.0, 1) as rows_per_s
  from parts
 group by 1
 order by 1
 limit :limit;
-- exact:
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
-- about: 95th percentile (nearest rank, within 1 %) of the value per metric (name, unit) per hour, from the histograms
-- (merged over all devices in metrics_hist_1h; one device's from its hourly rollup)
with w as (
  select coalesce((select watermark from sluice_rollup_state where source = 'metrics'), '-infinity') as wm,
         sluice_retained_from('metrics') as kept
), bins as (
  select r.metric_name, r.bucket as hour, b.bin, b.k
    from metrics_hist_1h r, w, unnest(r.hist_bins, r.hist_counts) as b(bin, k)
   where :device::uuid is null and r.source = 'metrics' and r.last_at >= w.kept
     and (:since::timestamptz is null or r.bucket >= date_bin('1 hour', :since::timestamptz, timestamptz '2000-01-01 00:00:00+00'))
  union all
  select r.metric_name, r.bucket as hour, b.bin, b.k::bigint as k
    from metrics_rollup_1h r, w, unnest(r.hist_bins, r.hist_counts) as b(bin, k)
   where :device::uuid is not null and r.device_id = :device::uuid and r.last_at >= w.kept
     and (:since::timestamptz is null or r.bucket >= date_bin('1 hour', :since::timestamptz, timestamptz '2000-01-01 00:00:00+00'))
  union all
  select m.metric_name, date_bin('1 hour', m.published_at, timestamptz '2000-01-01 00:00:00+00'), sluice_bin(m.value), count(*)
    from metrics m, w
   where m.created_at >= w.wm
     and (:device::uuid is null or m.device_id = :device::uuid)
     and (:since::timestamptz is null or m.published_at >= date_bin('1 hour', :since::timestamptz, timestamptz '2000-01-01 00:00:00+00'))
   group by 1, 2, 3
), h as (
  select metric_name, hour, bin, sum(k) as k from bins group by 1, 2, 3
), c as (
  select metric_name, hour, bin, sum(k) over (partition by metric_name, hour order by bin) as cum,
         sum(k) over (partition by metric_name, hour) as total
    from h
)
select coalesce(cd.name, c.metric_name::text) as metric, cd.unit, c.hour, max(c.total)::bigint as rows,
       min(sluice_bin_value(c.bin)) filter (where c.cum >= 0.95 * c.total) as p95
  from c
  left join metric_codes cd on cd.code = c.metric_name
 group by c.metric_name, cd.name, cd.unit, c.hour
 order by 3, c.metric_name
 limit :limit;
-- exact:
select coalesce(c.name, m.metric_name::text) as metric, c.unit,
       date_bin('1 hour', m.published_at, timestamptz '2000-01-01 00:00:00+00') as hour, count(*) as rows,
       percentile_disc(0.95) within group (order by m.value) as p95
  from metrics m
  left join metric_codes c on c.code = m.metric_name
 where (:device::uuid is null or m.device_id = :device::uuid)
   and (:since::timestamptz is null or m.published_at >= date_bin('1 hour', :since::timestamptz, timestamptz '2000-01-01 00:00:00+00'))
 group by m.metric_name, c.name, c.unit, 3
 order by 3, m.metric_name
 limit :limit;

-- name: top_noisy
-- about: devices sending the most rows, with their rows per active minute (hourly rollups' minute masks + the tail)
with w as (
  select coalesce((select watermark from sluice_rollup_state where source = 'metrics'), '-infinity') as wm,
         date_bin('1 minute', :since::timestamptz, timestamptz '2000-01-01 00:00:00+00') as m0,
         date_bin('1 hour', :since::timestamptz - interval '1 microsecond', timestamptz '2000-01-01 00:00:00+00') + interval '1 hour' as h0,
         sluice_retained_from('metrics') as kept
), parts as (
  select r.device_id, r.bucket as hour, r.n, r.minute_mask as mask
    from metrics_rollup_1h r, w
   where r.last_at >= w.kept
     and (:device::uuid is null or r.device_id = :device::uuid)
     and (:since::timestamptz is null or r.bucket >= w.h0)
  union all
  select r.device_id, date_bin('1 hour', r.bucket, timestamptz '2000-01-01 00:00:00+00'), r.n,
         1::bigint << floor(extract(epoch from r.bucket - date_bin('1 hour', r.bucket, timestamptz '2000-01-01 00:00:00+00')) / 60)::integer
    from metrics_rollup_1m r, w
   where :since::timestamptz is not null and r.last_at >= w.kept and r.bucket >= w.m0 and r.bucket < w.h0
     and (:device::uuid is null or r.device_id = :device::uuid)
  union all
  select m.device_id, date_bin('1 hour', m.published_at, timestamptz '2000-01-01 00:00:00+00'), count(*),
         bit_or(1::bigint << floor(extract(epoch from m.published_at - date_bin('1 hour', m.published_at, timestamptz '2000-01-01 00:00:00+00')) / 60)::integer)
    from metrics m, w
   where m.created_at >= w.wm
     and (:device::uuid is null or m.device_id = :device::uuid)
     and (:since::timestamptz is null or m.published_at >= w.m0)
   group by 1, 2
), hours as (
  select device_id, sum(n) as n, bit_count(bit_or(mask)::bit(64)) as minutes from parts group by device_id, hour
)
select device_id, sum(n)::bigint as rows, sum(minutes)::bigint as active_minutes,
       round(sum(n)::numeric / sum(minutes), 1) as rows_per_active_minute
  from hours
 group by device_id
 order by rows desc, device_id
 limit :limit;
-- exact:
select device_id, count(*) as rows, count(distinct date_bin('1 minute', published_at, timestamptz '2000-01-01 00:00:00+00')) as active_minutes,
       round(count(*)::numeric / count(distinct date_bin('1 minute', published_at, timestamptz '2000-01-01 00:00:00+00')), 1) as rows_per_active_minute
  from metrics
 where (:device::uuid is null or device_id = :device::uuid)
   and (:since::timestamptz is null or published_at >= date_bin('1 minute', :since::timestamptz, timestamptz '2000-01-01 00:00:00+00'))
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
