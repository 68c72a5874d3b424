/// The web dashboard, served at `/dashboard`: plain HTML, CSS and JavaScript
/// with no build step, calling the same HTTP API as the CLI. Jobs with filters;
/// the selected job's shard grid (windows × tiles across, step blocks down)
/// coloured by state and refreshed as its server-sent events arrive; progress,
/// throughput and ETA; the workers with what each runs and its recent speed; the
/// event log; a strip of preview stills, one per finished segment, with its time;
/// the finished video in a `<video>` element; cancel and retry.
///
/// A string literal rather than a resource bundle, so the `reel` binary serves
/// it wherever it is copied. The page records what it shows in `data-` attributes
/// on `<main>` (`data-job-state`, `data-cells-total`, `data-cells-done`) and on
/// each cell (`data-state`), which `DashboardBrowserTests` reads from headless
/// Chromium's DOM.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reel farm</title>
<style>
:root { --bg:#0f1115; --panel:#171a21; --line:#262b36; --text:#e6e9ef; --dim:#8b93a7; --accent:#7aa2ff;
  --pending:#2a2f3a; --ready:#3b4a6b; --leased:#e0a526; --done:#3fb67a; --failed:#e5534b; --cancelled:#6e7681; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--text); font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display:flex; align-items:center; gap:16px; padding:12px 20px; border-bottom:1px solid var(--line); background:var(--panel); position:sticky; top:0; z-index:2; }
header h1 { font-size:16px; margin:0; letter-spacing:.5px; white-space:nowrap; }
header h1 span { color:var(--accent); }
#health { color:var(--dim); font-size:13px; margin-left:auto; }
#login { display:flex; gap:6px; } #login[hidden] { display:none; }
#login input { width:260px; }
.dot { display:inline-block; width:8px; height:8px; border-radius:50%; background:var(--done); margin-right:6px; }
.dot.bad { background:var(--failed); }
main { display:grid; grid-template-columns: 300px 1fr; gap:16px; padding:16px 20px; }
section { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:14px; min-width:0; }
h2 { font-size:13px; text-transform:uppercase; letter-spacing:.8px; color:var(--dim); margin:0 0 10px; }
.filters { display:flex; gap:6px; margin-bottom:10px; }
select, input, button { background:#0c0e12; color:var(--text); border:1px solid var(--line); border-radius:6px; padding:6px 8px; font:inherit; }
input { flex:1; min-width:0; }
button { cursor:pointer; }
button:hover:not(:disabled) { border-color:var(--accent); }
button:disabled { opacity:.35; cursor:default; }
button.danger:hover { border-color:var(--failed); }
#jobs { list-style:none; margin:0; padding:0; max-height:70vh; overflow:auto; }
#jobs li { padding:8px 10px; border-radius:6px; cursor:pointer; display:flex; justify-content:space-between; gap:8px; border:1px solid transparent; }
#jobs li:hover { background:#1d212a; }
#jobs li.sel { border-color:var(--accent); background:#1b2130; }
.badge { font-size:11px; padding:1px 8px; border-radius:10px; background:var(--pending); white-space:nowrap; }
.b-running,.b-decoding { background:#4a3b12; color:#ffd479; } .b-succeeded { background:#173d2a; color:#7ee2a8; }
.b-failed { background:#4a1d1b; color:#ff9b95; } .b-cancelled,.b-queued { background:#2d3139; color:#b9c0cc; }
.detail-head { display:flex; flex-wrap:wrap; align-items:center; gap:10px; margin-bottom:12px; }
.detail-head h3 { margin:0; font-size:18px; }
.detail-head .actions { margin-left:auto; display:flex; gap:6px; }
.bar { height:10px; background:#0c0e12; border:1px solid var(--line); border-radius:6px; overflow:hidden; }
.bar > div { height:100%; width:0; background:linear-gradient(90deg, #3fb67a, #7aa2ff); transition:width .4s; }
.stats { display:flex; flex-wrap:wrap; gap:18px; margin:10px 0 14px; color:var(--dim); }
.stats b { color:var(--text); font-weight:600; }
#grid { display:grid; gap:3px; overflow:auto; padding-bottom:4px; }
.cell { height:18px; min-width:10px; border-radius:3px; background:var(--pending); transition:background .3s; }
.s-ready { background:var(--ready); } .s-leased { background:var(--leased); animation:pulse 1.2s infinite; }
.s-done { background:var(--done); } .s-failed { background:var(--failed); } .s-cancelled { background:var(--cancelled); }
@keyframes pulse { 50% { opacity:.55; } }
.legend { display:flex; flex-wrap:wrap; gap:12px; color:var(--dim); font-size:12px; margin:8px 0 14px; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; border:1px solid #3a4150; }
.s-pending { background:var(--pending); }
.axis { color:var(--dim); font-size:11px; margin-bottom:4px; }
.strip { display:flex; gap:8px; overflow-x:auto; padding-bottom:6px; margin:0 0 12px; min-height:24px; }
.strip figure { margin:0; flex:0 0 auto; }
.strip img { display:block; height:84px; border-radius:4px; border:1px solid var(--line); background:#000; }
.strip figcaption { color:var(--dim); font-size:11px; margin-top:3px; text-align:center; font-variant-numeric:tabular-nums; }
.strip .none { color:var(--dim); font-size:12px; align-self:center; }
video { width:100%; max-height:420px; background:#000; border-radius:8px; margin-top:8px; }
table { width:100%; border-collapse:collapse; font-size:13px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); }
th { color:var(--dim); font-weight:500; }
#events { max-height:260px; overflow:auto; font:12px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace; background:#0c0e12; border-radius:6px; padding:8px; border:1px solid var(--line); }
#events div { white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
#events .k { color:var(--accent); }
.two { display:grid; grid-template-columns: 1fr 1fr; gap:16px; margin-top:16px; }
.empty { color:var(--dim); padding:20px 0; text-align:center; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } .two { grid-template-columns: 1fr; } #jobs { max-height:220px; } }
</style>
</head>
<body>
<header><h1><span>&#9654;</span> Reel farm</h1><div id="health">connecting…</div>
<form id="login" hidden><input id="token" type="password" autocomplete="off" placeholder="API token (reel token create --scope read)"><button>Sign in</button></form></header>
<main id="app" data-job-state="" data-cells-total="0" data-cells-done="0">
  <section>
    <h2>Jobs</h2>
    <div class="filters">
      <select id="f-state"><option value="">all states</option><option>running</option><option>decoding</option><option>succeeded</option><option>failed</option><option>cancelled</option><option>queued</option></select>
      <input id="f-model" placeholder="model">
    </div>
    <ul id="jobs"></ul>
  </section>
  <div>
    <section id="detail"><div class="empty">Pick a job on the left.</div></section>
    <div class="two">
      <section><h2>Workers</h2><table><thead><tr><th>Worker</th><th>State</th><th>Running</th><th>Speed</th></tr></thead><tbody id="workers"></tbody></table></section>
      <section><h2>Events</h2><div id="events"></div></section>
    </div>
  </div>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
// The API token lives in a same-site cookie, which fetch, EventSource and <video>
// all send (none of them can take an Authorization header). It arrives pasted in
// the sign-in form or in the URL's fragment (#token=…, which browsers never send
// to a server, so it stays out of logs), and the fragment is then dropped.
function setToken(t) {
  document.cookie = "reel_token=" + encodeURIComponent(t) + "; path=/; SameSite=Strict" + (location.protocol === "https:" ? "; Secure" : "");
}
{
  const m = location.hash.match(/token=([A-Za-z0-9_]+)/);
  if (m) { setToken(m[1]); history.replaceState(null, "", location.pathname + location.search); }
}
$("login").onsubmit = (e) => { e.preventDefault(); setToken($("token").value.trim()); location.reload(); };
const app = $("app");
let selected = new URLSearchParams(location.search).get("job");
let stream = null, refreshTimer = null, samples = [], workerSpeed = {};

async function get(path) {
  const r = await fetch(path);
  if (r.status === 401) $("login").hidden = false;
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || ("HTTP " + r.status));
  return body;
}
function esc(s) { return String(s ?? "").replace(/[&<>"]/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c])); }
function duration(s) {
  if (!isFinite(s) || s < 0) return "–";
  if (s < 60) return Math.round(s) + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + Math.round(s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.round((s % 3600) / 60) + " min";
}

async function loadHealth() {
  try {
    const h = await get("/v1/health");
    $("health").innerHTML = '<span class="dot' + (h.ok ? "" : " bad") + '"></span>' + h.workers + " workers · " + h.active_jobs +
      " active jobs · loop gap " + h.longest_loop_gap_ms.toFixed(0) + " ms";
  } catch (e) { $("health").innerHTML = '<span class="dot bad"></span>' + esc(e.message); }
}

async function loadJobs() {
  const q = new URLSearchParams({ limit: "1000" });
  if ($("f-state").value) q.set("state", $("f-state").value);
  if ($("f-model").value.trim()) q.set("model", $("f-model").value.trim());
  let jobs = [];
  try { jobs = await get("/v1/jobs?" + q); } catch (e) { $("jobs").innerHTML = '<li class="empty">' + esc(e.message) + "</li>"; return; }
  jobs.reverse();
  if (!selected && jobs.length) selected = String((jobs.find((j) => j.state === "running" || j.state === "decoding") || jobs[0]).id);
  $("jobs").innerHTML = jobs.length ? jobs.map((j) =>
    '<li data-id="' + j.id + '" class="' + (String(j.id) === selected ? "sel" : "") + '"><span>#' + j.id + " " + esc(j.name || j.model) +
    '</span><span class="badge b-' + j.state + '">' + j.state + " " + Math.round(j.progress * 100) + "%</span></li>").join("")
    : '<li class="empty">No jobs.</li>';
  for (const li of $("jobs").querySelectorAll("li[data-id]")) li.onclick = () => select(li.dataset.id);
  if (selected && !stream) select(selected);
}

function select(id) {
  if (stream) stream.close();
  selected = String(id);
  samples = [];
  $("events").innerHTML = "";
  history.replaceState(null, "", "?job=" + id);
  for (const li of $("jobs").querySelectorAll("li")) li.classList.toggle("sel", li.dataset.id === selected);
  stream = new EventSource("/v1/jobs/" + id + "/events/stream");
  stream.onmessage = stream.onerror = null;
  stream.addEventListener("error", () => { stream.close(); });
  const onEvent = (m) => { addEvent(JSON.parse(m.data)); scheduleRefresh(); };
  // Each event comes named by its kind (the server's EventKind list).
  for (const kind of ["job.created", "job.state", "job.decoding", "job.succeeded", "job.failed", "job.cancelled", "job.retried", "worker.registered", "worker.state", "shard.done", "shard.stale", "shard.retry", "shard.failed", "chunk.done", "chunk.stale", "chunk.retry", "chunk.failed", "rejected", "prompt.truncated"]) stream.addEventListener(kind, onEvent);
  stream.onmessage = onEvent;
  refresh();
}

function addEvent(e) {
  const box = $("events");
  const line = document.createElement("div");
  line.innerHTML = esc(new Date(e.at).toLocaleTimeString()) + ' <span class="k">' + esc(e.kind) + "</span> " + esc(e.detail || "") + (e.worker ? " · " + esc(e.worker) : "");
  box.appendChild(line);
  box.scrollTop = box.scrollHeight;
}

function scheduleRefresh() { if (!refreshTimer) refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, 250); }

async function refresh() {
  if (!selected) return;
  const id = selected;
  let job, cells, previews;
  // Previews are a nicety: a job without any (expired, or not decoding yet) still renders.
  try { [job, cells, previews] = await Promise.all([get("/v1/jobs/" + id), get("/v1/jobs/" + id + "/shards"), get("/v1/jobs/" + id + "/previews").catch(() => [])]); }
  catch (e) { $("detail").innerHTML = '<div class="empty">' + esc(e.message) + "</div>"; return; }
  if (id !== selected) return;
  render(job, cells, previews);
}

// One still per finished segment (its first frame), with its time in the video.
function stripHTML(previews) {
  const clock = (s) => Math.floor(s / 60) + ":" + (s % 60).toFixed(1).padStart(4, "0");
  const figures = previews.map((p) => '<figure data-chunk="' + p.chunk + '"><img src="' + esc(p.url) + '" alt="frame ' + p.frame_begin + '">' +
    "<figcaption>" + clock(p.seconds) + " · f" + p.frame_begin + "</figcaption></figure>").join("");
  return '<div class="axis">preview frames, one per finished segment</div><div class="strip" id="previews">' +
    (figures || '<span class="none">none yet: they appear as segments finish decoding</span>') + "</div>";
}

function render(job, cells, previews) {
  const done = cells.filter((c) => c.state === "done").length;
  const now = performance.now() / 1000;
  samples.push([now, done]);
  samples = samples.filter((s) => now - s[0] < 30);
  const [t0, d0] = samples[0];
  const rate = now - t0 > 1 ? (done - d0) / (now - t0) : 0;
  const left = cells.length - done;
  const finished = ["succeeded", "failed", "cancelled"].includes(job.state);
  app.dataset.jobState = job.state;
  app.dataset.cellsTotal = cells.length;
  app.dataset.cellsDone = done;
  const windows = Math.max(1, ...cells.map((c) => c.window + 1));
  const tiles = Math.max(1, ...cells.map((c) => c.tile + 1));
  const blocks = Math.max(1, ...cells.map((c) => c.block + 1));
  const byKey = new Map(cells.map((c) => [c.region + ":" + c.block, c]));
  let grid = "";
  for (let b = 0; b < blocks; b++) for (let r = 0; r < windows * tiles; r++) {
    const c = byKey.get(r + ":" + b);
    const st = c ? c.state : "pending";
    grid += '<div class="cell s-' + st + '" data-state="' + st + '" title="window ' + Math.floor(r / tiles) + (tiles > 1 ? " tile " + (r % tiles) : "") +
      ", block " + b + ": " + st + (c && c.worker ? " · " + esc(c.worker) : "") + '"></div>';
  }
  const chunks = job.decode_chunk_states || {};
  const chunkText = Object.keys(chunks).length ? Object.entries(chunks).map(([k, v]) => v + " " + k).join(", ") : "not yet";
  $("detail").innerHTML =
    '<div class="detail-head"><h3>#' + job.id + " " + esc(job.name || "") + '</h3><span class="badge b-' + job.state + '" id="job-state">' + job.state + "</span>" +
    '<span style="color:var(--dim)">' + esc(job.model) + " · " + job.width + "×" + job.height + " · " + job.frames + " frames @ " + job.fps + " fps</span>" +
    '<div class="actions"><button id="retry"' + (job.state === "failed" ? "" : " disabled") + '>Retry</button><button class="danger" id="cancel"' + (finished ? " disabled" : "") + ">Cancel</button></div></div>" +
    '<div class="bar"><div style="width:' + (job.progress * 100).toFixed(1) + '%"></div></div>' +
    '<div class="stats"><span>Progress <b>' + (job.progress * 100).toFixed(1) + "%</b></span><span>Shards <b>" + done + " / " + cells.length + "</b></span>" +
    "<span>Throughput <b>" + (finished ? "–" : rate.toFixed(2) + " shards/s") + "</b></span><span>ETA <b>" + (finished ? "done" : rate > 0 ? duration(left / rate) : "–") + "</b></span>" +
    "<span>Decode <b>" + chunkText + "</b></span></div>" +
    historyHTML(job.history) +
    stripHTML(previews || []) +
    '<div class="axis">windows' + (tiles > 1 ? " × tiles" : "") + " → · step blocks ↓</div>" +
    '<div id="grid" style="grid-template-columns:repeat(' + windows * tiles + ', minmax(10px, 1fr))">' + grid + "</div>" +
    '<div class="legend">' + ["pending", "ready", "leased", "done", "failed", "cancelled"].map((s) => '<span><i class="s-' + s + '"></i>' + s + "</span>").join("") + "</div>" +
    (job.reason ? '<div style="color:#ff9b95">' + esc(job.reason) + "</div>" : "") +
    (job.state === "succeeded" && !job.expired_at ? '<video id="video" controls preload="metadata" src="/v1/jobs/' + job.id + '/video"></video>' : "");
  $("retry").onclick = () => act(job.id, "retry");
  $("cancel").onclick = () => act(job.id, "cancel");
}

// Where the job's time went: queue, render, decode, workers, their compute, retries.
function historyHTML(h) {
  if (!h) return "";
  const t = (label, s) => (s == null ? "" : "<span>" + label + " <b>" + duration(s) + "</b></span>");
  return '<div class="stats" id="history">' + t("Queued", h.queue_seconds) + t("Rendered", h.render_seconds) + t("Decoded", h.decode_seconds) +
    "<span>Workers <b>" + h.workers_used + "</b></span><span>Compute <b>" + duration(h.compute_seconds) + "</b></span>" +
    "<span>Retries <b>" + h.retries + "</b></span></div>";
}

async function act(id, what) {
  // The header tells the server this POST comes from the page, not from a cross-site form riding the cookie.
  const r = await fetch("/v1/jobs/" + id + "/" + what, { method: "POST", headers: { "X-Reel-Dashboard": "1" } });
  if (!r.ok) alert(((await r.json().catch(() => ({}))).error) || ("HTTP " + r.status));
  if (what === "retry") select(id); else refresh();
  loadJobs();
}

async function loadWorkers() {
  let workers = [];
  try { workers = await get("/v1/workers"); } catch (e) { return; }
  const now = performance.now() / 1000;
  $("workers").innerHTML = workers.map((w) => {
    const last = workerSpeed[w.name];
    let speed = last ? last.speed : 0;
    if (last && now - last.t >= 2) { speed = (w.shards_done - last.done) / (now - last.t); workerSpeed[w.name] = { t: now, done: w.shards_done, speed }; }
    if (!last) workerSpeed[w.name] = { t: now, done: w.shards_done, speed: 0 };
    return "<tr><td>" + esc(w.name) + '</td><td><span class="badge b-' + (w.state === "active" ? "succeeded" : "failed") + '">' + esc(w.state) + "</span></td><td>" +
      (w.running.length ? esc(w.running.join(", ")) : '<span style="color:var(--dim)">idle</span>') + "</td><td>" + (speed * 60).toFixed(1) + " shards/min · " + w.shards_done + " done</td></tr>";
  }).join("") || '<tr><td colspan="4" class="empty">No workers.</td></tr>';
}

$("f-state").onchange = loadJobs;
$("f-model").oninput = () => { clearTimeout(window.mt); window.mt = setTimeout(loadJobs, 300); };
loadHealth(); loadJobs(); loadWorkers();
setInterval(loadHealth, 5000);
setInterval(loadJobs, 5000);
setInterval(loadWorkers, 2000);
setInterval(() => { if (selected && !["succeeded", "failed", "cancelled"].includes(app.dataset.jobState)) refresh(); }, 3000);
</script>
</body>
</html>
"""#
}
