// Runnel's chat: wires the page to POST /api/message and renders the streamed reply.
import { readEvents } from './sse.js';
import { loadChat, saveChat, freshChat, randomId, isConversationId, currentChat, showing, deleteChat, renameChat, isChatKey } from './store.js';
import { h, renderMessage, fill, dropLastActions, copyText, paintThinking, editor } from './view.js';
import { path, append, drop, versions, showBranch, historyBefore } from './branches.js';
import { initSidebar } from './sidebar.js';
import { initSettings, loadSettings, requestOptions } from './settings.js';
import { estimateTokens, contextSize, compact } from './tokens.js';
import { toMarkdown, toJSON, fromJSON, fileName, MAX_IMPORT_BYTES } from './transfer.js';

const $ = (id) => document.getElementById(id);
const ui = {
  scroller: $('scroller'), log: $('messages'), empty: $('empty'), form: $('composer'),
  input: $('input'), send: $('send'), newChat: $('new-chat'), jump: $('jump'), count: $('token-count'),
  notice: $('notice'), importFile: $('import-file'),
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
let chat = currentChat() ?? freshChat();
let active = null; // { ctrl, msg, stopping } while a reply streams
let leaving = false; // the page is unloading (reload, hot reload): a cut stream is not an error
const metrics = { firstChunkPaintMs: null }; // ms from the latest reply's first chunk to its paint

// ---- token estimate ------------------------------------------------------------------

let counting = 0;
let historyTokens = 0; // the branch on screen, counted when it changes

/** The composer's "≈ N tokens · context ≈ used / size" line (README "The chat UI": an estimate). */
function countSoon(historyChanged = false) {
  if (historyChanged) historyTokens = path(chat).reduce((n, m) => n + estimateTokens(m.text), 0);
  counting ||= requestAnimationFrame(() => {
    counting = 0;
    const draft = estimateTokens(ui.input.value);
    const used = historyTokens + estimateTokens(settings.system) + draft;
    const size = contextSize(options.model());
    const share = (100 * used) / size;
    Object.assign(ui.count.dataset, { draft, used, size });
    ui.count.textContent = `≈ ${compact(draft)} tokens · context ≈ ${compact(used)} / ${compact(size)} (${share < 1 && used ? '<1' : Math.round(share)}%)`;
    ui.count.classList.toggle('full', share >= 90);
  });
}

// ---- settings & backends ----------------------------------------------------------

const settings = loadSettings();
const options = initSettings(settings, () => {
  $('backend-label').textContent = [settings.backend, options?.model()].filter(Boolean).join(' · ') || 'Settings';
  countSoon();
});

options.setBackends(Array.isArray(config.backends) ? config.backends : [], config.defaultBackend);
fetch('/api/backends')
  .then((r) => (r.ok ? r.json() : null))
  .then((d) => d && Array.isArray(d.backends) && options.setBackends(d.backends, d.default))
  .catch(() => {}); // offline: keep the embedded list

// ---- rendering & scrolling --------------------------------------------------------

const versionsOf = (m) => {
  const v = versions(chat, m);
  return { index: v.index, count: v.list.length };
};

/** Renders the branch on screen and scrolls to its end, or with `stay` keeps the reader's place. */
function renderAll(stay = false) {
  const msgs = path(chat);
  const n = msgs.length;
  ui.log.replaceChildren(...msgs.map((m, i) => renderMessage(m, i === n - 1, m.role === 'user' ? versionsOf(m) : null)));
  ui.empty.hidden = n > 0;
  countSoon(true);
  stick = !stay;
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
  countSoon();
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
  const mod = e.ctrlKey || e.metaKey;
  if (e.key === 'Escape' && active && !e.defaultPrevented && !e.target.closest?.('dialog, #sidebar')) { e.preventDefault(); stop(); }
  else if (mod && e.shiftKey && e.key.toLowerCase() === 'o') { e.preventDefault(); newChat(); }
  else if (mod && !e.shiftKey && e.key.toLowerCase() === 'k') { e.preventDefault(); sidebar.focusSearch(); }
});

// ---- the chat -----------------------------------------------------------------------

function send(raw) {
  const text = raw.trim();
  if (!text || active) return;
  dropLastActions(ui.log);
  const user = append(chat, { id: randomId('m_'), role: 'user', text });
  ui.log.append(renderMessage(user, false, versionsOf(user)));
  ui.input.value = '';
  autosize();
  reply(user);
}

/** Sends an edited version of `msg`: a new branch from the same point (the old one stays). */
function resend(msg, raw) {
  const text = raw.trim();
  if (!text || active) return;
  const user = append(chat, { id: randomId('m_'), role: 'user', text }, msg.parent);
  renderAll();
  reply(user);
}

function startEdit(article, msg) {
  if (active) return;
  const form = editor(msg);
  const input = form.querySelector('textarea');
  article.querySelector('.bubble').replaceWith(form);
  article.querySelector(':scope > .actions').hidden = true;
  form.addEventListener('submit', (e) => { e.preventDefault(); resend(msg, input.value); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
    if (e.key === 'Escape') { e.preventDefault(); renderAll(true); ui.input.focus({ preventScroll: true }); }
  });
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

/** Shows the previous (-1) or next (+1) version of the user message `msg`, and the branch after it. */
function showVersion(msg, step) {
  const v = versions(chat, msg);
  const other = v.list[v.index + step];
  if (active || !other) return;
  showBranch(chat, other);
  saveChat(chat);
  renderAll(true);
  ui.log.querySelector(`[data-id="${other.id}"] [data-action=${step < 0 ? 'older' : 'newer'}]:not(:disabled)`)?.focus();
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

/**
 * Starts a reply to the user message `user`: the server keeps it going across a reload
 * (`resumable`) and answers after `history`, the branch before it (the page is the source of truth).
 */
async function reply(user) {
  const conv = chat;
  const msg = append(conv, { id: randomId('m_'), role: 'assistant', text: '', status: 'streaming' });
  conv.updated = Date.now();
  ui.log.append(renderMessage(msg, true));
  ui.empty.hidden = true;
  const opts = requestOptions(settings);
  msg.meta = { backend: opts.backend };
  saveChat(conv);
  sidebar.render();
  countSoon(true);
  await streamInto(msg, conv, (signal) => fetch('/api/message', {
    method: 'POST', headers: JSON_HEADERS, signal,
    body: JSON.stringify({ message: user.text, conversation_id: conv.id, resumable: true, history: historyBefore(conv, user), ...opts }),
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
  let answered = false; // the server answered: a failure after this is a cut stream, not an unreachable server
  try {
    const res = await open(ctrl.signal);
    answered = true;
    msg.replyId = res.headers.get('X-Reply-Id') || msg.replyId;
    saveChat(conv); // another tab given this conversation can follow the reply from here
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
    if (!ctrl.signal.aborted && !leaving) {
      msg.error ??= answered
        ? { code: 'incomplete', message: 'The connection dropped before the reply finished.' }
        : { code: 'network', message: 'Could not reach the Runnel server. Is it still running?' };
    }
  }
  msg.meta.elapsed_ms ??= performance.now() - started;
  if (leaving && !ended) return; // the page is going away: the reply goes on, the next page picks it up
  if (msg.status === 'streaming') msg.status = msg.error ? 'error' : ended ? 'done' : 'interrupted';
  if (active?.msg === msg) active = null;
  fill(el, msg);
  updateComposer();
  if (document.activeElement === ui.send && ui.send.disabled) ui.input.focus();
  saveChat(conv);
  if (conv === chat) countSoon(true);
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
  const msgs = path(chat);
  const last = msgs[msgs.length - 1];
  const user = msgs[msgs.length - 2];
  if (active || last?.role !== 'assistant' || user?.role !== 'user') return;
  drop(chat, last);
  ui.log.querySelector(`[data-id="${last.id}"]`)?.remove();
  reply(user);
}

/** Shows `conv` (a reply streaming in the one shown is stopped first). */
function switchTo(conv) {
  stop();
  active = null;
  saveChat(chat);
  chat = conv;
  showing(chat);
  showInAddress(chat);
  renderAll();
  updateComposer();
  sidebar.render();
  pickUp();
}

function newChat() {
  const old = chat.id;
  switchTo(freshChat());
  ui.input.focus();
  fetch('/api/reset', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ conversation_id: old }) })
    .catch(() => {}); // the server forgets idle conversations anyway; each message carries its history
}

// ---- conversations: sidebar, export, import ----------------------------------------------

const sidebar = initSidebar({
  current: () => chat.id,
  open: (id) => { const c = id !== chat.id && loadChat(id); if (c) switchTo(c); },
  rename: (id, title) => { const c = id === chat.id ? chat : loadChat(id); if (c) renameChat(c, title); },
  remove: (id) => {
    if (id === chat.id) newChat(); // first: leaving a chat saves it
    deleteChat(id);
    sidebar.render();
  },
});

function notify(text, error = false) {
  ui.notice.textContent = text;
  ui.notice.classList.toggle('bad', error);
}

function download(name, type, text) {
  const a = h('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000); // the download has its copy by then
}

$('export-md').addEventListener('click', () => chat.nodes.length && download(fileName(chat, 'md'), 'text/markdown', toMarkdown(chat)));
$('export-json').addEventListener('click', () => chat.nodes.length && download(fileName(chat, 'json'), 'application/json', toJSON(chat)));
$('import').addEventListener('click', () => ui.importFile.click());
ui.importFile.addEventListener('change', async () => {
  const file = ui.importFile.files[0];
  ui.importFile.value = '';
  if (!file) return;
  try {
    if (file.size > MAX_IMPORT_BYTES) throw new Error(`it is over ${MAX_IMPORT_BYTES / 1048576} MB`);
    const read = fromJSON(await file.text());
    const conv = { ...freshChat(), ...read, titled: Boolean(read.title) };
    saveChat(conv);
    if (!loadChat(conv.id)) throw new Error('the browser’s storage is full');
    switchTo(conv);
    notify(`Imported “${conv.title}”.`);
  } catch (err) {
    notify(`Could not import ${file.name}: ${err.message}. Nothing was changed.`, true);
  }
});

async function flash(button, text) {
  const label = button.textContent;
  button.textContent = (await copyText(text)) ? 'Copied' : 'Copy failed';
  setTimeout(() => { button.textContent = label; }, 1500);
}

ui.log.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-action]');
  if (!b) return;
  const article = b.closest('article');
  const msg = chat.nodes.find((m) => m.id === article?.dataset.id);
  const action = b.dataset.action;
  if (action === 'copy-code') flash(b, b.closest('.code-block').querySelector('code').textContent);
  else if (action === 'wrap-code') b.setAttribute('aria-pressed', String(b.closest('.code-block').classList.toggle('wrap')));
  else if (action === 'copy' && msg) flash(b, msg.text);
  else if (action === 'regenerate' || action === 'retry') regenerate();
  else if (action === 'edit' && msg) startEdit(article, msg);
  else if (action === 'cancel-edit') { renderAll(true); ui.input.focus({ preventScroll: true }); }
  else if ((action === 'older' || action === 'newer') && msg) showVersion(msg, action === 'older' ? -1 : 1);
});

ui.empty.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-prompt]');
  if (b) send(b.dataset.prompt);
});
ui.newChat.addEventListener('click', newChat);
// Another tab changed the conversation shown here: show its copy, so saving this one's loses nothing.
addEventListener('storage', (e) => {
  const fresh = isChatKey(e.key, chat.id) && !active && !ui.log.querySelector('.editor') && loadChat(chat.id);
  if (fresh) { chat = fresh; renderAll(); }
});
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
 * Shows the chat the address names: stored in this browser, else built from the server (a
 * fresh browser given the address); then picks up a reply left streaming.
 */
async function restore() {
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (isConversationId(wanted) && wanted !== chat.id) {
    const stored = loadChat(wanted);
    if (stored) return switchTo(stored);
    const conv = { ...freshChat(), id: wanted };
    const res = await fetch(`/api/conversations/${wanted}`).catch(() => null);
    const data = res?.ok ? await res.json() : null;
    for (const m of data?.messages ?? []) {
      append(conv, { id: randomId('m_'), role: m.role, text: m.content,
        status: m.role === 'assistant' ? (m.interrupted ? 'interrupted' : 'done') : undefined });
    }
    if (data?.reply) {
      append(conv, { id: randomId('m_'), role: 'user', text: data.reply.message });
      append(conv, { id: randomId('m_'), role: 'assistant', text: '', status: 'streaming',
        replyId: data.reply.id, lastEventId: 0, meta: { backend: data.reply.backend } });
    }
    return switchTo(conv);
  }
  showing(chat);
  showInAddress(chat);
  pickUp();
}

/** Follows the shown chat's last reply if it was left streaming (a reload, another tab). */
function pickUp() {
  const last = path(chat).at(-1);
  if (active || last?.role !== 'assistant' || last.status !== 'streaming') return;
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
// `chat.messages` is the branch on screen.
window.runnel = { get chat() { return { ...chat, messages: path(chat) }; }, send, stop, newChat, regenerate, metrics, version: config.version };
