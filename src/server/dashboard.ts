/**
 * The live dashboard: one plain HTML page (no framework, no build) that listens to `/events` (server-sent events,
 * one pipeline view a second) and derives the rates from consecutive views. Charts (uPlot, served from the package by
 * /assets) start from `/v1/pipeline/history` (the server's last 15 minutes) and grow with the points each event
 * carries. Element ids are stable so a browser test can read the numbers; `window.sluiceHistory` holds the charts'
 * data.
 */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice — pipeline</title>
<link rel="stylesheet" href="/assets/uplot.min.css">
<script src="/assets/uplot.iife.min.js"></script>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d232a; background: #f6f7f9; }
  h1 { font-size: 1.3rem; margin: 0 0 .2rem; }
  #status { color: #667; font-size: .85rem; margin-bottom: 1rem; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: .8rem; }
  .card { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: .8rem 1rem; }
  .card .label { color: #667; font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; }
  .card .value { font-size: 1.7rem; font-variant-numeric: tabular-nums; }
  .card .sub { color: #667; font-size: .8rem; font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; margin-top: 1rem; background: #fff; }
  td, th { border: 1px solid #dde1e6; padding: .3rem .7rem; text-align: left; font-variant-numeric: tabular-nums; }
  .RUNNING { color: #137333; font-weight: 600; } .FAILED, .MISSING { color: #b3261e; font-weight: 600; } .other { color: #a15c00; font-weight: 600; }
  #errors { color: #b3261e; font-size: .85rem; margin-top: .8rem; white-space: pre-wrap; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: .8rem; margin-top: 1rem; }
  .chart h2 { font-size: .85rem; font-weight: 600; margin: 0 0 .4rem; color: #333; }
  .chart .note { color: #667; font-size: .75rem; margin-top: .2rem; }
  .plot { min-height: 200px; }
  #stall { display: none; background: #fce8e6; color: #b3261e; border: 1px solid #f4c7c3; border-radius: 6px;
    padding: .5rem .8rem; margin-bottom: .8rem; font-weight: 600; }
  #down { display: none; background: #fef7e0; color: #7a4f01; border: 1px solid #f9e2a4; border-radius: 6px;
    padding: .5rem .8rem; margin-bottom: .8rem; }
  #markers { list-style: none; padding: 0; margin: .3rem 0 0; font-size: .8rem; font-variant-numeric: tabular-nums; }
  #markers li::before { content: "┆ "; color: #a15c00; }
</style>
</head>
<body>
<h1>Sluice pipeline</h1>
<div id="status">connecting…</div>
<div id="stall"></div>
<div id="down"></div>
<div class="grid">
  <div class="card"><div class="label">Produce rate (msg/s)</div><div class="value" id="produce-rate">–</div><div class="sub">topic <span id="topic"></span>: <span id="produced">–</span> total</div></div>
  <div class="card"><div class="label">Landed rate (rows/s)</div><div class="value" id="landed-rate">–</div><div class="sub">table <span id="table"></span>: <span id="rows-written">–</span> written</div></div>
  <div class="card"><div class="label">Consumer lag</div><div class="value" id="lag">–</div><div class="sub" id="lag-partitions"></div><div class="sub">by the tasks' positions: <span id="position-lag">–</span></div></div>
  <div class="card"><div class="label">DLQ depth</div><div class="value" id="dlq-depth">–</div><div class="sub"><span id="dlq-rate">–</span> msg/s</div></div>
  <div class="card"><div class="label">HTTP ingest (this server)</div><div class="value" id="ingest-accepted">–</div><div class="sub"><span id="ingest-rate">–</span> msg/s</div></div>
  <div class="card"><div class="label">Connector</div><div class="value" id="connector-state">–</div><div class="sub" id="connector-name"></div></div>
</div>
<div class="charts">
  <div class="card chart"><h2>Produced vs landed (records/s)</h2><div class="plot" id="chart-rates"></div>
    <div class="note">into the topic (end offsets) and into the table (PostgreSQL's insert + update counters)</div></div>
  <div class="card chart"><h2>Consumer lag (records)</h2><div class="plot" id="chart-lag"></div>
    <div class="note">end offset minus the sink's committed offset, in all and per partition (Connect commits every few seconds, so it moves in steps); dashed: minus the tasks' fetch positions, read from the workers' JMX exporters every 5 s</div></div>
  <div class="card chart"><h2>End-to-end latency, produce → row (ms)</h2><div class="plot" id="chart-e2e"></div>
    <div class="note" id="e2e-note">p50 and p99 of sampled records, published by <code>sluice produce --e2e</code> on this stack each report window</div></div>
  <div class="card chart"><h2>DLQ arrivals (records/s)</h2><div class="plot" id="chart-dlq"></div>
    <div class="note">every arrival per second, and by reason (dots: averaged over each look at the DLQ, every 10 s); <code>sluice dlq peek</code> shows each record</div></div>
  <div class="card chart"><h2>Events (dashed lines on the charts)</h2><ul id="markers"><li>none in the last 15 minutes</li></ul></div>
</div>
<table><thead><tr><th>task</th><th>state</th></tr></thead><tbody id="tasks"></tbody></table>
<div id="errors"></div>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const fmt = (n) => (n === null || n === undefined) ? "–" : Math.round(n).toLocaleString("en-US");
const cls = (s) => s === "RUNNING" ? "RUNNING" : (s === "FAILED" || s === "MISSING") ? s : "other";
let prev = null;
function row(cells, lastClass) {
  const tr = document.createElement("tr");
  for (const [i, text] of cells.entries()) {
    const td = tr.appendChild(document.createElement("td"));
    td.textContent = text;
    if (cells.length === 1) td.colSpan = 2;
    if (lastClass && i === cells.length - 1) td.className = lastClass;
  }
  return tr;
}
function rate(cur, old, key) {
  if (!old || cur[key] === null || old[key] === null) return null;
  const dt = (cur.at - old.at) / 1000;
  return dt > 0 ? Math.max(0, (cur[key] - old[key]) / dt) : null;
}
function show(v) {
  const dlqTotal = v.dlq ? v.dlq.total : null;
  const flat = { at: v.at, produced: v.produced, rowsWritten: v.rowsWritten, dlqTotal, ingestAccepted: v.ingestAccepted };
  if (prev && flat.at > prev.at) {
    $("produce-rate").textContent = fmt(rate(flat, prev, "produced"));
    $("landed-rate").textContent = fmt(rate(flat, prev, "rowsWritten"));
    $("dlq-rate").textContent = fmt(rate(flat, prev, "dlqTotal"));
    $("ingest-rate").textContent = fmt(rate(flat, prev, "ingestAccepted"));
  }
  if (!prev || flat.at > prev.at) prev = flat;
  $("topic").textContent = v.topic;
  $("table").textContent = v.table;
  $("produced").textContent = fmt(v.produced);
  $("rows-written").textContent = fmt(v.rowsWritten);
  $("lag").textContent = fmt(v.lag);
  $("lag-partitions").textContent = (v.lagByPartition || []).map((l) => "p" + l.partition + ": " + fmt(l.lag)).join("  ");
  $("position-lag").textContent = v.positionLag === null || v.positionLag === undefined ? "unknown" : fmt(v.positionLag);
  $("dlq-depth").textContent = v.dlq ? fmt(v.dlq.depth) : "–";
  $("ingest-accepted").textContent = fmt(v.ingestAccepted);
  const st = v.connector ? v.connector.state : "UNKNOWN";
  const cs = $("connector-state");
  cs.textContent = st; cs.className = "value " + cls(st);
  $("connector-name").textContent = v.connector ? v.connector.name : "Connect does not answer";
  // Built as elements with textContent, never as HTML: a state or id from Connect cannot inject markup.
  const tasks = v.connector ? v.connector.tasks : [];
  const rows = tasks.map((t) => row([String(t.id), t.state], cls(t.state)));
  $("tasks").replaceChildren(...(rows.length ? rows : [row(["no tasks"])]));
  const errs = Object.entries(v.errors || {}).map(([k, m]) => k + ": " + m);
  $("errors").textContent = errs.join("\\n");
  $("status").textContent = "live · updated " + new Date(v.at).toLocaleTimeString();
  document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
}
// Charts: the server's history, then the points every event carries. Times in seconds (uPlot's unit).
const WINDOW_S = 15 * 60;
const H = { t: [], produce: [], landed: [], dlq: [], e2e50: [], e2e99: [], lagAll: [], position: [], lag: {}, reasons: {}, markers: [], down: [] };
window.sluiceHistory = H;
let lastAt = 0;
const charts = {};
const PALETTE = ["#1a73e8", "#e8710a", "#137333", "#a142f4", "#d01884", "#007b83", "#b3261e", "#5f6368"];
const short = (n) => n === null ? "" : Math.abs(n) >= 1e6 ? (n / 1e6).toFixed(1) + "M" : Math.abs(n) >= 1e3 ? (n / 1e3).toFixed(n >= 1e4 ? 0 : 1) + "k" : String(Math.round(n * 10) / 10);
// Dashed vertical lines where something changed (connector or task state, a watchdog restart, a source away).
function markerPlugin() {
  return { hooks: { draw: [(u) => {
    const c = u.ctx;
    c.save();
    c.strokeStyle = "#a15c00";
    c.lineWidth = Math.max(1, devicePixelRatio);
    c.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
    for (const m of H.markers) {
      const x = Math.round(u.valToPos(m.t, "x", true));
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      c.beginPath(); c.moveTo(x, u.bbox.top); c.lineTo(x, u.bbox.top + u.bbox.height); c.stroke();
    }
    c.restore();
  }] } };
}
function chart(id, series, data) {
  const el = $(id);
  if (typeof uPlot === "undefined") { el.textContent = "charts unavailable: /assets/uplot.iife.min.js did not load"; return null; }
  if (charts[id]) charts[id].destroy();
  const opts = {
    width: Math.max(300, el.clientWidth), height: 200,
    scales: { x: { time: true } },
    axes: [{}, { size: 56, values: (u, vals) => vals.map(short) }],
    series: [{}, ...series.map((s) => ({ width: 1.5, points: { show: false }, ...s }))],
    plugins: [markerPlugin()],
  };
  return (charts[id] = new uPlot(opts, data, el));
}
function draw() {
  if (typeof uPlot === "undefined") return void chart("chart-rates", [], []);
  if (!charts["chart-rates"]) {
    chart("chart-rates", [{ label: "produced", stroke: "#1a73e8" }, { label: "landed", stroke: "#137333" }], [H.t, H.produce, H.landed]);
    // One value per load-tester window (every few seconds): joined across the samples between, each drawn as a dot.
    const win = { spanGaps: true, points: { show: true, size: 4 } };
    chart("chart-e2e", [{ label: "p50", stroke: "#1a73e8", ...win }, { label: "p99", stroke: "#e8710a", ...win }], [H.t, H.e2e50, H.e2e99]);
  } else {
    charts["chart-rates"].setData([H.t, H.produce, H.landed]);
    charts["chart-e2e"].setData([H.t, H.e2e50, H.e2e99]);
  }
  const e2eSeen = H.e2e50.some((v) => v !== null);
  $("e2e-note").textContent = e2eSeen
    ? "p50 and p99 of sampled records, published by sluice produce --e2e on this stack each report window"
    : "no data: no load tester with --e2e runs on this stack (sluice produce --e2e measures it on sampled records)";
  // DLQ: every arrival each second, and by reason kind as averaged over each look at the DLQ (every 10 s).
  const kinds = Object.keys(H.reasons);
  const dlqData = [H.t, H.dlq, ...kinds.map((k) => H.reasons[k])];
  const d = charts["chart-dlq"];
  if (!d || d.series.length !== kinds.length + 2) {
    const look = { spanGaps: true, points: { show: true, size: 4 } };
    const byReason = kinds.map((k, i) => ({ label: k, stroke: PALETTE[(i + 1) % PALETTE.length], ...look }));
    chart("chart-dlq", [{ label: "all", stroke: "#b3261e" }, ...byReason], dlqData);
  } else d.setData(dlqData);
  const parts = Object.keys(H.lag);
  const lagData = [H.t, H.lagAll, H.position, ...parts.map((p) => H.lag[p])];
  const c = charts["chart-lag"];
  if (!c || c.series.length !== parts.length + 3) {
    const totals = [
      { label: "committed, all", stroke: "#1d232a", width: 2 },
      { label: "task position, all", stroke: "#1d232a", width: 2, dash: [6, 4], spanGaps: true },
    ];
    chart("chart-lag", [...totals, ...parts.map((p, i) => ({ label: "p" + p, stroke: PALETTE[i % PALETTE.length], width: 1 }))], lagData);
  } else c.setData(lagData);
}
function addPoints(points) {
  let added = 0;
  for (const p of points) {
    if (p.at <= lastAt) continue;
    lastAt = p.at;
    const t = p.at / 1000;
    const byPartition = new Map((p.lagByPartition || []).map((l) => [String(l.partition), l.lag]));
    for (const k of byPartition.keys()) if (!(k in H.lag)) H.lag[k] = H.t.map(() => null);
    const byReason = p.dlqByReason || {};
    for (const k of Object.keys(byReason)) if (!(k in H.reasons)) H.reasons[k] = H.t.map(() => null);
    H.t.push(t);
    H.produce.push(p.produceRate);
    H.landed.push(p.landedRate);
    H.dlq.push(p.dlqRate);
    H.lagAll.push(p.lag);
    H.position.push(p.positionLag);
    H.e2e50.push(p.e2eP50);
    H.e2e99.push(p.e2eP99);
    for (const k of Object.keys(H.lag)) H.lag[k].push(byPartition.has(k) ? byPartition.get(k) : null);
    for (const k of Object.keys(H.reasons)) H.reasons[k].push(k in byReason ? byReason[k] : null);
    for (const m of p.markers) H.markers.push({ t, text: m });
    H.down = p.down;
    added++;
  }
  if (added === 0) return;
  const cutoff = H.t[H.t.length - 1] - WINDOW_S;
  let n = 0;
  while (n < H.t.length && H.t[n] < cutoff) n++;
  if (n > 0) for (const a of [H.t, H.produce, H.landed, H.dlq, H.e2e50, H.e2e99, H.lagAll, H.position, ...Object.values(H.lag), ...Object.values(H.reasons)]) a.splice(0, n);
  H.markers = H.markers.filter((m) => m.t >= cutoff);
  draw();
  showMarkers();
  showStall();
  document.body.dataset.points = String(H.t.length);
}
function showMarkers() {
  // Built as elements with textContent: a marker quotes states from Connect.
  const items = H.markers.slice(-20).reverse().map((m) => {
    const li = document.createElement("li");
    li.textContent = new Date(m.t * 1000).toLocaleTimeString() + "  " + m.text;
    return li;
  });
  if (items.length) $("markers").replaceChildren(...items);
  const down = $("down");
  down.style.display = H.down.length ? "block" : "none";
  down.textContent = H.down.length ? "Not answering: " + H.down.join(", ") + ". The charts show a gap for what cannot be read." : "";
}
// A stall: records wait (lag above 0) while none landed in the last 5 samples.
function showStall() {
  const k = 5, n = H.t.length;
  const el = $("stall");
  const lagNow = Object.values(H.lag).reduce((s, a) => s + (a[n - 1] || 0), 0);
  const stalled = n >= k && lagNow > 0 && H.landed.slice(n - k).every((v) => v === 0);
  el.style.display = stalled ? "block" : "none";
  el.textContent = stalled ? "The sink lands nothing while " + fmt(lagNow) + " records wait. Is the connector paused or failed?" : "";
  document.body.dataset.stalled = String(stalled);
}
// EventSource retries by itself after a dropped stream, but gives up on an error answer (the server refuses a stream
// with 503 when it serves too many): then a new one is opened after a pause.
function listen() {
  const es = new EventSource("/events?since=" + lastAt);
  es.addEventListener("pipeline", (e) => {
    const v = JSON.parse(e.data);
    show(v);
    addPoints(v.points || []);
  });
  es.onerror = () => {
    $("status").textContent = "disconnected; reconnecting…";
    if (es.readyState === EventSource.CLOSED) setTimeout(listen, 5000);
  };
}
fetch("/v1/pipeline/history")
  .then((r) => (r.ok ? r.json() : { points: [] }))
  .catch(() => ({ points: [] }))
  .then((h) => {
    addPoints(h.points);
    if (!h.points.length) draw();
    listen();
  });
addEventListener("resize", () => {
  for (const c of Object.values(charts)) c.setSize({ width: Math.max(300, c.root.parentElement.clientWidth), height: 200 });
});
</script>
</body>
</html>
`;
}
