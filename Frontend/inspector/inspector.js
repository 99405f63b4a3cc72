// The inspector (README "Record and replay"): recent replies, and one reply's events over
// time beside the upstream's raw frames, refreshed while it streams. Data from
// /__runnel/inspector/replies[/{id}]; DOM built with textContent only (no markup from data).

const API = "/__runnel/inspector/replies";
const LIST_EVERY_MS = 1000;     // how often the list refreshes
const LIVE_EVERY_MS = 250;      // how often a streaming reply's detail refreshes
const SVG = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);
let selected = decodeURIComponent(location.hash.slice(1)) || null;
let recording = false;
let detailTimer = null;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

const ms = (value) => (value === null || value === undefined ? "–" : `${Math.round(value)} ms`);
const bytes = (n) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`);

async function getJSON(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

// ---- the list -------------------------------------------------------------------------

async function refreshList() {
  let data;
  try { data = await getJSON(API); } catch { return; }
  recording = data.recording;
  $("recording").textContent = recording ? "recording (--record): every remote exchange is saved" : "not recording";
  const rows = $("rows");
  rows.replaceChildren(...data.replies.map(row));
  $("empty").hidden = data.replies.length > 0;
  if (!selected && data.replies.length) select(data.replies[0].id);
}

function row(reply) {
  const tr = el("tr");
  tr.dataset.id = reply.id;
  tr.dataset.testid = "reply-row";
  tr.setAttribute("aria-selected", String(reply.id === selected));
  const started = new Date(reply.started_at).toLocaleTimeString();
  const rate = reply.tokens_per_s === null ? "–" : `${reply.tokens_per_s}${reply.tokens_counted === "chunks" ? " (chunks)" : ""}`;
  for (const [text, cls] of [[started], [reply.backend], [reply.model], [reply.state, `state-${reply.state}`],
    [ms(reply.first_chunk_ms)], [rate], [ms(reply.duration_ms)], [bytes(reply.text_bytes)], [reply.message, "message"]]) {
    tr.append(el("td", text, cls));
  }
  tr.addEventListener("click", () => select(reply.id));
  return tr;
}

function select(id) {
  selected = id;
  history.replaceState(null, "", `#${encodeURIComponent(id)}`);
  for (const tr of $("rows").children) tr.setAttribute("aria-selected", String(tr.dataset.id === id));
  $("saved").textContent = "";
  refreshDetail();
}

// ---- one reply --------------------------------------------------------------------------

async function refreshDetail() {
  clearTimeout(detailTimer);
  if (!selected) return;
  const id = selected;
  let data;
  try { data = await getJSON(`${API}/${encodeURIComponent(id)}`); } catch { $("detail").hidden = true; return; }
  if (id !== selected) return;
  showDetail(data);
  if (data.reply.state === "streaming") detailTimer = setTimeout(refreshDetail, LIVE_EVERY_MS);
}

function showDetail({ reply, trace, raw_bytes, raw_bytes_dropped }) {
  $("detail").hidden = false;
  $("detail").dataset.state = reply.state;
  $("detail-title").textContent = `Reply ${reply.id.slice(0, 8)}… · ${reply.backend} · ${reply.model}`;
  const facts = [`status ${reply.state}`, `first token ${ms(reply.first_chunk_ms)}`, `duration ${ms(reply.duration_ms)}`,
    `${reply.tokens ?? "?"} tokens (${reply.tokens_counted})`, `${reply.tokens_per_s ?? "–"} tokens/s`, `${bytes(reply.text_bytes)} of text`];
  if (trace && trace.outcome.type === "failed") facts.push(`failed: ${trace.outcome.code}: ${trace.outcome.message}`);
  if (raw_bytes_dropped) facts.push(`${bytes(raw_bytes_dropped)} of ${bytes(raw_bytes)} raw bytes not kept`);
  $("facts").textContent = facts.join(" · ");
  const events = trace ? trace.events : [];
  const frames = trace && trace.response ? trace.response.frames : [];
  plot(events, frames, reply.duration_ms);
  $("events").replaceChildren(...events.map(eventItem));
  $("frames").replaceChildren(...frames.map(frameItem));
  $("no-frames").hidden = frames.length > 0;
  const save = $("save");
  save.hidden = !recording || reply.state === "streaming";
  save.dataset.id = reply.id;
}

function eventItem(event) {
  const li = el("li");
  li.append(el("span", `${event.at_ms.toFixed(1)}`, "at"), el("span", event.type, "type"));
  const { type, at_ms, ...rest } = event;
  li.append(el("span", type === "delta" ? JSON.stringify(rest.text) : JSON.stringify(rest)));
  return li;
}

function frameItem(frame) {
  const li = el("li");
  li.append(el("span", `${frame.at_ms.toFixed(1)}`, "frame-at"),
    el("span", frame.text !== undefined ? frame.text : `(base64) ${frame.base64}`));
  return li;
}

// Events (top, height ∝ text length) and raw frames (bottom, height ∝ bytes) on one time
// axis, so a slow first token, a stall or a burst shows at a glance.
function plot(events, frames, durationMs) {
  const svg = $("plot");
  const width = 1000, top = 10, mid = 80, bottom = 150;
  const end = Math.max(durationMs || 0, ...events.map((e) => e.at_ms), ...frames.map((f) => f.at_ms), 1);
  const x = (at) => (at / end) * (width - 4) + 2;
  const shapes = [line(0, mid, width, mid), line(0, bottom, width, bottom)];
  const eventSize = (e) => (e.type === "delta" ? e.text.length : 4);
  const largestEvent = Math.max(1, ...events.map(eventSize));
  for (const e of events) {
    const h = Math.max(2, ((mid - top - 4) * eventSize(e)) / largestEvent);
    shapes.push(bar(x(e.at_ms), mid - h, h, e.type === "delta" ? "event" : "event other", `${e.type} at ${e.at_ms} ms`));
  }
  const frameBytes = frames.map((f) => (f.text !== undefined ? new TextEncoder().encode(f.text).length : f.base64.length * 0.75));
  const largestFrame = Math.max(1, ...frameBytes);
  frames.forEach((f, i) => {
    const h = Math.max(2, ((bottom - mid - 6) * frameBytes[i]) / largestFrame);
    shapes.push(bar(x(f.at_ms), bottom - h, h, "frame", `${Math.round(frameBytes[i])} bytes at ${f.at_ms} ms`));
  });
  shapes.push(label(4, top + 2, "events"), label(4, mid + 12, "raw frames"));
  svg.replaceChildren(...shapes);
  svg.dataset.events = String(events.length);
  svg.dataset.frames = String(frames.length);
  $("axis").textContent = `0 ms ─ time ─ ${Math.round(end)} ms`;
}

function line(x1, y1, x2, y2) {
  const node = document.createElementNS(SVG, "line");
  for (const [k, v] of Object.entries({ x1, y1, x2, y2 })) node.setAttribute(k, v);
  node.setAttribute("class", "axis");
  return node;
}

function bar(x, y, height, cls, title) {
  const node = document.createElementNS(SVG, "rect");
  for (const [k, v] of Object.entries({ x: x - 1.5, y, width: 3, height })) node.setAttribute(k, v);
  node.setAttribute("class", cls);
  const tip = document.createElementNS(SVG, "title");
  tip.textContent = title;
  node.append(tip);
  return node;
}

function label(x, y, text) {
  const node = document.createElementNS(SVG, "text");
  node.setAttribute("x", x);
  node.setAttribute("y", y + 8);
  node.textContent = text;
  return node;
}

$("save").addEventListener("click", async (event) => {
  const id = event.currentTarget.dataset.id;
  const response = await fetch(`${API}/${encodeURIComponent(id)}/cassette`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
  });
  $("saved").textContent = response.ok ? `saved: ${(await response.json()).file}` : `not saved: HTTP ${response.status}`;
});

window.addEventListener("hashchange", () => {
  const id = decodeURIComponent(location.hash.slice(1));
  if (id && id !== selected) select(id);
});

refreshList();
setInterval(refreshList, LIST_EVERY_MS);
if (selected) refreshDetail();
