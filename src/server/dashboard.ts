/**
 * The live dashboard: one plain HTML page (no framework, no build) that listens to `/events` (server-sent events,
 * one pipeline view a second) and derives the rates from consecutive views. Element ids are stable so a browser test
 * can read the numbers.
 */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice — pipeline</title>
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
</style>
</head>
<body>
<h1>Sluice pipeline</h1>
<div id="status">connecting…</div>
<div class="grid">
  <div class="card"><div class="label">Produce rate (msg/s)</div><div class="value" id="produce-rate">–</div><div class="sub">topic <span id="topic"></span>: <span id="produced">–</span> total</div></div>
  <div class="card"><div class="label">Landed rate (rows/s)</div><div class="value" id="landed-rate">–</div><div class="sub">table <span id="table"></span>: <span id="rows-written">–</span> written</div></div>
  <div class="card"><div class="label">Consumer lag</div><div class="value" id="lag">–</div><div class="sub" id="lag-partitions"></div></div>
  <div class="card"><div class="label">DLQ depth</div><div class="value" id="dlq-depth">–</div><div class="sub"><span id="dlq-rate">–</span> msg/s</div></div>
  <div class="card"><div class="label">HTTP ingest (this server)</div><div class="value" id="ingest-accepted">–</div><div class="sub"><span id="ingest-rate">–</span> msg/s</div></div>
  <div class="card"><div class="label">Connector</div><div class="value" id="connector-state">–</div><div class="sub" id="connector-name"></div></div>
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
// EventSource retries by itself after a dropped stream, but gives up on an error answer (the server refuses a stream
// with 503 when it serves too many): then a new one is opened after a pause.
function listen() {
  const es = new EventSource("/events");
  es.addEventListener("pipeline", (e) => show(JSON.parse(e.data)));
  es.onerror = () => {
    $("status").textContent = "disconnected; reconnecting…";
    if (es.readyState === EventSource.CLOSED) setTimeout(listen, 5000);
  };
}
listen();
</script>
</body>
</html>
`;
}
