// Runnel's chat: wires the page to POST /api/message and renders the streamed reply.
import { readEvents } from './sse.js';
import { loadChat, saveChat, freshChat, randomId, isConversationId } from './store.js';
import { h, renderMessage, fill, dropLastActions, copyText, paintThinking } from './view.js';

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
let active = null; // { ctrl, msg, stopping } while a reply streams
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

/** Starts a reply to `text`: the server keeps it going across a reload (`resumable`). */
async function reply(text) {
  const conv = chat;
  const msg = { id: randomId('m_'), role: 'assistant', text: '', status: 'streaming' };
  conv.messages.push(msg);
  ui.log.append(renderMessage(msg, true));
  ui.empty.hidden = true;
  const backend = ui.backend.value || undefined;
  msg.meta = { backend };
  await streamInto(msg, conv, (signal) => fetch('/api/message', {
    method: 'POST', headers: JSON_HEADERS, signal,
    body: JSON.stringify({ message: text, conversation_id: conv.id, backend, resumable: true }),
  }));
}

/** Follows a reply already under way (after a reload, or in a second tab) from its last event seen. */
function resume(msg, conv) {
  return streamInto(msg, conv, (signal) => fetch(
    `/api/replies/${encodeURIComponent(msg.replyId)}/events?after=${msg.lastEventId || 0}`,
    { headers: { Accept: 'text/event-stream' }, signal }));
}

/** Renders the streaming reply's new text in the next frame (at most once a frame). */
function paintSoon(el, msg) {
  if (el.painting) return;
  el.painting = requestAnimationFrame(() => {
    el.painting = 0;
    if (msg.status !== 'streaming') return;
    el.live?.update(msg.text);
    paintThinking(el, msg, true);
  });
}

/** Streams a reply's events into `msg` and its element, from the response `open` gives. */
async function streamInto(msg, conv, open) {
  const el = ui.log.querySelector(`[data-id="${msg.id}"]`);
  const ctrl = new AbortController();
  active = { ctrl, msg };
  updateComposer();
  stick = true;
  follow();
  const started = performance.now();
  let thinkingSince = null; // when this stream's first thinking event came
  let ended = false;
  try {
    const res = await open(ctrl.signal);
    msg.replyId = res.headers.get('X-Reply-Id') || msg.replyId;
    if (res.status === 204) {
      ended = true; // a finished reply whose every event we have: nothing more to read
    } else if (res.status === 404 && msg.lastEventId != null) {
      msg.status = 'interrupted'; // the reply expired while the page was away
    } else if (!res.ok) {
      msg.error = await errorOf(res);
    } else {
      for await (const { event: ev, id } of readEvents(res, { ids: true })) {
        if (!ev || typeof ev !== 'object') continue;
        if (id) msg.lastEventId = Number(id);
        if (typeof ev.thinking === 'string' && !ev.end) {
          const fresh = !msg.thinking;
          msg.thinking = (msg.thinking || '') + ev.thinking;
          thinkingSince ??= performance.now();
          if (fresh) { fill(el, msg); el.thinking.open = !msg.text; } // the block appears, open while it streams
          paintSoon(el, msg);
          follow();
        } else if (typeof ev.chunk === 'string') {
          const t = performance.now();
          const first = msg.meta.first_chunk_ms == null;
          if (first) msg.meta.first_chunk_ms = t - started;
          if (thinkingSince != null && msg.meta.thought_ms == null) {
            msg.meta.thought_ms = t - thinkingSince; // the answer starts: the thinking folds away
            if (el.thinking) { el.thinking.open = false; paintThinking(el, msg, true); }
          }
          msg.text += ev.chunk;
          paintSoon(el, msg);
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
          if (typeof ev.thinking === 'string') msg.thinking = ev.thinking;
          for (const k of ['backend', 'model', 'first_chunk_ms', 'elapsed_ms', 'usage']) if (ev[k] != null) msg.meta[k] = ev[k];
          if (ev.stopped) msg.status = 'stopped';
          else if (ev.interrupted) msg.status = 'interrupted';
          if (ev.error && !msg.error) msg.error = { code: 'error', message: 'The reply ended with an error.' };
        } else if (ev.error) {
          msg.error = { code: String(ev.error.code || 'error'), message: String(ev.error.message || 'The reply failed.') };
        }
      }
      if (!ended && !msg.error && !ctrl.signal.aborted && !leaving) {
        msg.error = { code: 'incomplete', message: 'The stream closed before the reply finished.' };
      }
    }
  } catch {
    if (!ctrl.signal.aborted && !leaving) msg.error ??= { code: 'network', message: 'Could not reach the Runnel server. Is it still running?' };
  }
  msg.meta.elapsed_ms ??= performance.now() - started;
  if (leaving && !ended) return; // the page is going away: the reply goes on, the next page picks it up
  if (msg.status === 'streaming') msg.status = msg.error ? 'error' : ended ? 'done' : 'interrupted';
  if (active?.msg === msg) active = null;
  fill(el, msg);
  updateComposer();
  if (document.activeElement === ui.send && ui.send.disabled) ui.input.focus();
  if (conv === chat) saveChat(chat);
  follow();
}

/** Stops the reply on the server (every tab following it sees it stopped); aborts if that fails. */
async function stop() {
  if (!active || active.stopping) return;
  const current = active;
  current.stopping = true;
  if (current.msg.replyId) {
    try {
      const res = await fetch(`/api/replies/${encodeURIComponent(current.msg.replyId)}/stop`, { method: 'POST' });
      if (res.ok) return; // the stream now ends with "stopped": true
    } catch {
      // unreachable server: abort below
    }
  }
  current.ctrl.abort();
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
  showInAddress(chat);
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
  else if (action === 'wrap-code') b.setAttribute('aria-pressed', String(b.closest('.code-block').classList.toggle('wrap')));
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
addEventListener('pageshow', (e) => {
  leaving = false;
  if (e.persisted && active) { active = null; restore(); } // back from the page cache: follow the reply again
});

/** Puts the conversation in the address (#c_…), so a second tab with that address joins it. */
function showInAddress(conv) {
  history.replaceState(null, '', `#${conv.id}`);
}

/**
 * Builds the chat the address names from the server (a second tab, a fresh page), or picks
 * up the stored chat's reply where the last page left it.
 */
async function restore() {
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (isConversationId(wanted) && wanted !== chat.id) {
    chat = { id: wanted, backend: ui.backend.value, messages: [] };
    const res = await fetch(`/api/conversations/${wanted}`).catch(() => null);
    const data = res?.ok ? await res.json() : null;
    for (const m of data?.messages ?? []) {
      chat.messages.push({
        id: randomId('m_'), role: m.role, text: m.content,
        status: m.role === 'assistant' ? (m.interrupted ? 'interrupted' : 'done') : undefined,
      });
    }
    if (data?.reply) {
      chat.messages.push({ id: randomId('m_'), role: 'user', text: data.reply.message });
      chat.messages.push({ id: randomId('m_'), role: 'assistant', text: '', status: 'streaming',
        replyId: data.reply.id, lastEventId: 0, meta: { backend: data.reply.backend } });
    }
    renderAll();
  }
  showInAddress(chat);
  const last = chat.messages[chat.messages.length - 1];
  if (last?.role !== 'assistant' || last.status !== 'streaming') return;
  if (last.replyId) {
    last.meta ??= {};
    resume(last, chat);
  } else {
    last.status = 'interrupted'; // cut off before the server named the reply
    renderAll();
  }
}

renderAll();
autosize();
if (!matchMedia('(pointer: coarse)').matches) ui.input.focus();
restore();

// For debugging from the console only.
window.runnel = { get chat() { return chat; }, send, stop, newChat, regenerate, metrics, version: config.version };
