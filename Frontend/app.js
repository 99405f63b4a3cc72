// Runnel's chat: wires the page to POST /api/message and renders the streamed reply.
import { readEvents } from './sse.js';
import { loadChat, saveChat, freshChat, randomId } from './store.js';
import { h, renderMessage, fill, dropLastActions, copyText } from './view.js';

const $ = (id) => document.getElementById(id);
const ui = {
  scroller: $('scroller'), log: $('messages'), empty: $('empty'), form: $('composer'),
  input: $('input'), send: $('send'), backend: $('backend'), newChat: $('new-chat'), jump: $('jump'),
};
const JSON_HEADERS = { 'Content-Type': 'application/json' };
const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');

function readConfig() {
  try {
    return JSON.parse($('runnel-config').textContent);
  } catch {
    return {}; // the template was not rendered (opened as a file): use the API only
  }
}

const config = readConfig();
let chat = loadChat();
let active = null; // { ctrl, msg } while a reply streams
let lastStop = -Infinity;
let leaving = false; // the page is unloading (reload, hot reload): a cut stream is not an error
const metrics = { firstChunkPaintMs: null }; // ms from the latest reply's first chunk to its paint

// ---- backends -------------------------------------------------------------------

function setBackends(list, fallback) {
  const names = list.map((b) => b.name);
  const wanted = chat.backend || ui.backend.value;
  ui.backend.replaceChildren(...list.map((b) =>
    h('option', { value: b.name }, b.model && b.model !== b.name ? `${b.name} · ${b.model}` : b.name)));
  if (!list.length) ui.backend.append(h('option', { value: '' }, 'server default'));
  ui.backend.value = names.includes(wanted) ? wanted : names.includes(fallback) ? fallback : (names[0] ?? '');
}

setBackends(Array.isArray(config.backends) ? config.backends : [], config.defaultBackend);
fetch('/api/backends')
  .then((r) => (r.ok ? r.json() : null))
  .then((d) => d && Array.isArray(d.backends) && setBackends(d.backends, d.default))
  .catch(() => {}); // offline: keep the embedded list

ui.backend.addEventListener('change', () => {
  chat.backend = ui.backend.value;
  saveChat(chat);
});

// ---- rendering & scrolling --------------------------------------------------------

function renderAll() {
  const n = chat.messages.length;
  ui.log.replaceChildren(...chat.messages.map((m, i) => renderMessage(m, i === n - 1)));
  ui.empty.hidden = n > 0;
  stick = true;
  follow();
}

let stick = true; // follow the stream until the reader scrolls up
let lastTop = 0;
let frame = 0;
const gap = () => ui.scroller.scrollHeight - ui.scroller.scrollTop - ui.scroller.clientHeight;

function follow() {
  frame ||= requestAnimationFrame(() => {
    frame = 0;
    if (stick) ui.scroller.scrollTop = ui.scroller.scrollHeight;
    ui.jump.hidden = gap() < 48;
  });
}

ui.scroller.addEventListener('scroll', () => {
  const g = gap();
  const top = ui.scroller.scrollTop;
  if (g < 4) stick = true;
  else if (top < lastTop) stick = false;
  else if (g < 48) stick = true;
  lastTop = top;
  ui.jump.hidden = g < 48;
}, { passive: true });

ui.jump.addEventListener('click', () => {
  stick = true;
  ui.scroller.scrollTo({ top: ui.scroller.scrollHeight, behavior: reducedMotion.matches ? 'auto' : 'smooth' });
  ui.input.focus({ preventScroll: true });
});

// ---- composer -----------------------------------------------------------------------

function updateComposer() {
  const streaming = Boolean(active);
  const b = ui.send;
  b.dataset.state = streaming ? 'stop' : 'send';
  b.dataset.testid = streaming ? 'stop-button' : 'send-button';
  b.setAttribute('aria-label', streaming ? 'Stop generating' : 'Send message');
  b.title = streaming ? 'Stop (Esc)' : 'Send (Enter)';
  b.disabled = !streaming && !ui.input.value.trim();
  ui.form.dataset.state = b.dataset.state;
}

function autosize() {
  const t = ui.input;
  t.style.height = 'auto';
  t.style.height = `${Math.min(t.scrollHeight + 2, 200)}px`;
  updateComposer();
}

ui.input.addEventListener('input', autosize);
ui.input.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
  e.preventDefault();
  if (!active) send(ui.input.value);
});
ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (active) stop();
  else send(ui.input.value);
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && active) { e.preventDefault(); stop(); }
});

// ---- the chat -----------------------------------------------------------------------

function send(raw) {
  const text = raw.trim();
  if (!text || active) return;
  dropLastActions(ui.log);
  const user = { id: randomId('m_'), role: 'user', text };
  chat.messages.push(user);
  ui.log.append(renderMessage(user));
  ui.input.value = '';
  autosize();
  reply(text);
}

async function errorOf(res) {
  try {
    const { error } = await res.json();
    if (error?.message) return { code: String(error.code || res.status), message: String(error.message) };
  } catch {
    // not JSON: fall through
  }
  return { code: `http_${res.status}`, message: `The server answered ${res.status} ${res.statusText}.`.replace(' .', '.') };
}

// After Stop the server needs a few ms to cancel, so a quick resend may meet 409: retry briefly.
async function post(body, signal) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch('/api/message', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body), signal });
    if (res.status !== 409 || attempt >= 10 || performance.now() - lastStop > 3000) return res;
    await res.body?.cancel().catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function reply(text) {
  const conv = chat;
  const msg = { id: randomId('m_'), role: 'assistant', text: '', status: 'streaming' };
  conv.messages.push(msg);
  const el = renderMessage(msg, true);
  ui.log.append(el);
  ui.empty.hidden = true;
  const ctrl = new AbortController();
  active = { ctrl, msg };
  updateComposer();
  stick = true;
  follow();

  const started = performance.now();
  const backend = ui.backend.value || undefined;
  msg.meta = { backend };
  let ended = false;
  try {
    const res = await post({ message: text, conversation_id: conv.id, backend }, ctrl.signal);
    if (!res.ok) {
      msg.error = await errorOf(res);
    } else {
      for await (const ev of readEvents(res)) {
        if (!ev || typeof ev !== 'object') continue;
        if (typeof ev.chunk === 'string') {
          const t = performance.now();
          const first = msg.meta.first_chunk_ms == null;
          if (first) msg.meta.first_chunk_ms = t - started;
          msg.text += ev.chunk;
          el.stream.appendData(ev.chunk);
          // First chunk parsed → painted: a task queued from rAF runs after that frame's paint.
          if (first) requestAnimationFrame(() => setTimeout(() => { metrics.firstChunkPaintMs = performance.now() - t; }));
          follow();
          saveChat(conv, true);
        } else if ('json_data' in ev) {
          msg.json = ev.json_data;
          fill(el, msg);
        } else if (ev.end) {
          ended = true;
          if (typeof ev.full_response === 'string') msg.text = ev.full_response;
          for (const k of ['backend', 'model', 'first_chunk_ms', 'elapsed_ms', 'usage']) if (ev[k] != null) msg.meta[k] = ev[k];
          if (ev.error && !msg.error) msg.error = { code: 'error', message: 'The reply ended with an error.' };
        } else if (ev.error) {
          msg.error = { code: String(ev.error.code || 'error'), message: String(ev.error.message || 'The reply failed.') };
        }
      }
      if (!ended && !msg.error) msg.error = { code: 'incomplete', message: 'The stream closed before the reply finished.' };
    }
  } catch {
    if (!ctrl.signal.aborted && !leaving) msg.error ??= { code: 'network', message: 'Could not reach the Runnel server. Is it still running?' };
  }
  msg.meta.elapsed_ms ??= performance.now() - started;
  msg.status = (ctrl.signal.aborted || leaving) && !ended && !msg.error ? 'interrupted' : msg.error ? 'error' : 'done';
  if (active?.msg === msg) active = null;
  fill(el, msg);
  updateComposer();
  if (document.activeElement === ui.send && ui.send.disabled) ui.input.focus();
  if (conv === chat) saveChat(chat);
  follow();
}

function stop() {
  if (!active) return;
  lastStop = performance.now();
  active.ctrl.abort();
}

/** Resends the last user message in place of the last reply (Regenerate and Retry). */
function regenerate() {
  const msgs = chat.messages;
  const last = msgs[msgs.length - 1];
  const user = msgs[msgs.length - 2];
  if (active || last?.role !== 'assistant' || user?.role !== 'user') return;
  msgs.pop();
  ui.log.querySelector(`[data-id="${last.id}"]`)?.remove();
  reply(user.text);
}

function newChat() {
  stop();
  active = null;
  const old = chat.id;
  chat = freshChat(ui.backend.value);
  saveChat(chat);
  renderAll();
  updateComposer();
  ui.input.focus();
  fetch('/api/reset', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ conversation_id: old }) })
    .catch(() => {}); // the server forgets idle conversations anyway
}

async function flash(button, text) {
  const label = button.textContent;
  button.textContent = (await copyText(text)) ? 'Copied' : 'Copy failed';
  setTimeout(() => { button.textContent = label; }, 1500);
}

ui.log.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-action]');
  if (!b) return;
  const msg = chat.messages.find((m) => m.id === b.closest('article')?.dataset.id);
  const action = b.dataset.action;
  if (action === 'copy-code') flash(b, b.closest('.code-block').querySelector('code').textContent);
  else if (action === 'copy' && msg) flash(b, msg.text);
  else if (action === 'regenerate' || action === 'retry') regenerate();
});

ui.empty.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-prompt]');
  if (b) send(b.dataset.prompt);
});
ui.newChat.addEventListener('click', newChat);
addEventListener('beforeunload', () => { leaving = true; });
addEventListener('pagehide', () => { leaving = true; saveChat(chat); });
addEventListener('pageshow', () => { leaving = false; });

renderAll();
autosize();
if (!matchMedia('(pointer: coarse)').matches) ui.input.focus();

// For debugging from the console only.
window.runnel = { get chat() { return chat; }, send, stop, newChat, regenerate, metrics, version: config.version };
