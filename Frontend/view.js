// DOM for the messages. Everything from the server or the user goes in as text
// nodes or through markdown.js's DOM builder: never as HTML.
import { toDOM, BlockStream } from './markdown.js';
import { typeset } from './math.js';

/** Creates an element: h('button', {type: 'button'}, 'Copy'). Null/false attrs and kids are skipped. */
export function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null && v !== false) el.setAttribute(k, v);
  el.append(...kids.flat().filter((k) => k != null && k !== false));
  return el;
}

const button = (action, label, text, disabled = false) => h('button', {
  type: 'button', class: 'act', 'data-action': action, 'data-testid': `${action}-button`, 'aria-label': label, title: label, disabled,
}, text);

/** The form that replaces a user message's bubble while it is edited. */
export function editor(msg) {
  const input = h('textarea', { class: 'edit-input', 'data-testid': 'edit-input', 'aria-label': 'Edit message', rows: '3' });
  input.value = msg.text;
  return h('form', { class: 'editor', 'data-testid': 'editor' }, input, h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'act', 'data-action': 'cancel-edit' }, 'Cancel'),
    h('button', { type: 'submit', class: 'act primary', 'data-testid': 'edit-send' }, 'Send')));
}

function jsonPanel(value) {
  const what = Array.isArray(value) ? `array · ${value.length} items`
    : value && typeof value === 'object' ? `object · ${Object.keys(value).length} keys` : typeof value;
  return h('details', { class: 'json-panel', 'data-testid': 'json-panel' },
    h('summary', {}, 'JSON data ', h('span', { class: 'muted' }, what)),
    h('pre', {}, h('code', { class: 'language-json' }, JSON.stringify(value, null, 2))));
}

const round = (n) => (n >= 100 ? Math.round(n) : n.toFixed(1));
const duration = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/**
 * "mock · mock-1 · first token 310 ms · 48.2 tok/s · 2.1 s", the same fields in the same
 * order whatever the outcome (done, error, stopped, interrupted), each shown when known.
 * The rate counts the usage's output tokens, else estimates ~4 characters a token and says so.
 */
export function metaText(meta, text = '') {
  if (!meta) return '';
  const parts = [...new Set([meta.backend, meta.model].filter(Boolean))];
  const first = meta.first_chunk_ms;
  const total = meta.elapsed_ms;
  if (first != null) parts.push(`first token ${Math.round(first)} ms`);
  const secs = (total - (first ?? 0)) / 1000;
  // A rate over less than 0.1 s (echo, a cached reply) is noise.
  if (total != null && text && secs >= 0.1) {
    const tokens = meta.usage?.output_tokens;
    parts.push(tokens ? `${round(tokens / secs)} tok/s` : `~${round(text.length / 4 / secs)} tok/s (estimated)`);
  }
  if (total != null) parts.push(duration(total));
  return parts.join(' · ');
}

// Makes `old` (in the page) look like `fresh` with the fewest changes: mid-stream the open
// block mostly just grows its last text node, so a frame costs a text update, not new nodes.
function patch(old, fresh) {
  if (old.nodeType === 3 && fresh.nodeType === 3) {
    if (old.data !== fresh.data) old.data = fresh.data;
    return old;
  }
  const same = old.nodeName === fresh.nodeName && old.nodeType === 1 && old.attributes.length === fresh.attributes.length
    && [...fresh.attributes].every((a) => old.getAttribute(a.name) === a.value);
  if (!same) {
    old.replaceWith(fresh);
    return fresh;
  }
  const kids = [...old.childNodes];
  [...fresh.childNodes].forEach((n, i) => (i < kids.length ? patch(kids[i], n) : old.append(n)));
  for (const n of kids.slice(fresh.childNodes.length)) n.remove();
  return old;
}

/**
 * Renders a reply into `body` as it streams: blocks that are final are settled once and
 * never touched again; only the open tail changes on each update (one per frame).
 * The end result is the same DOM as rendering the whole reply at once.
 */
export class LiveMarkdown {
  constructor(body) {
    this.body = body;
    this.reset();
  }

  reset() {
    this.stream = new BlockStream();
    this.text = '';
    this.open = []; // the nodes showing the blocks that are not final yet
    this.body.replaceChildren();
  }

  update(text, end = false) {
    if (text === this.text && !end) return;
    if (!text.startsWith(this.text.slice(0, this.stream.from))) this.reset(); // not a continuation
    this.text = text;
    const { done, open } = this.stream.update(text, end);
    const fresh = [...toDOM([...done, ...open]).childNodes];
    const shown = fresh.map((n, i) => (i < this.open.length ? patch(this.open[i], n) : this.body.appendChild(n)));
    for (const n of this.open.slice(fresh.length)) n.remove();
    this.open = shown.slice(done.length);
    typeset(this.body);
  }
}

/** What the Thinking block's summary says: live, then how long the model thought. */
export function thinkingLabel(msg, streaming) {
  if (streaming && !msg.text) return 'Thinking…';
  const ms = msg.meta?.thought_ms;
  return ms == null ? 'Thoughts' : `Thought for ${duration(ms)}`;
}

/**
 * The reply's reasoning, in a <details> kept on the element (so its open state survives
 * re-renders): the caller opens it while the model thinks and folds it when the answer
 * starts. Plain text, and not part of the reply: Copy leaves it out. Null without reasoning.
 */
export function paintThinking(el, msg, streaming) {
  if (!msg.thinking) return null;
  el.thinking ??= h('details', { class: 'thinking', 'data-testid': 'thinking' },
    h('summary', {}), h('div', { class: 'thinking-body' }));
  el.thinking.firstChild.textContent = thinkingLabel(msg, streaming);
  el.thinking.lastChild.textContent = msg.thinking;
  return el.thinking;
}

/**
 * A message's element; `last` adds Regenerate/Retry (only the last reply has them). A user
 * message has Edit, and ‹ 2/3 › when `versions` ({index, count}) says it was edited.
 */
export function renderMessage(msg, last = false, versions = null) {
  const el = h('article', { class: `msg ${msg.role}`, 'data-role': msg.role, 'data-id': msg.id });
  if (msg.role === 'user') {
    const nav = versions?.count > 1 && h('span', { class: 'versions', 'data-testid': 'versions' },
      button('older', 'Previous version', '‹', versions.index === 0),
      h('span', { 'aria-label': `version ${versions.index + 1} of ${versions.count}` }, `${versions.index + 1}/${versions.count}`),
      button('newer', 'Next version', '›', versions.index === versions.count - 1));
    el.append(h('h2', { class: 'sr-only' }, 'You said:'), h('div', { class: 'bubble' }, msg.text),
      h('div', { class: 'actions' }, nav, button('edit', 'Edit and resend', 'Edit')));
  } else {
    fill(el, msg, last);
  }
  return el;
}

/** (Re)renders an assistant message; a streaming one keeps its body and renders as it grows. */
export function fill(el, msg, last = true) {
  const streaming = msg.status === 'streaming';
  el.dataset.status = msg.status;
  el.setAttribute('aria-busy', String(streaming));
  el.live ??= streaming ? new LiveMarkdown(h('div', { class: 'body md' })) : null;
  const body = el.live?.body ?? h('div', { class: 'body md' }, msg.text ? toDOM(msg.text) : null);
  if (!el.live) typeset(body);
  el.live?.update(msg.text, !streaming);
  if (!streaming) el.live = null;
  if (!msg.text && msg.status === 'done' && !msg.thinking) body.append(h('p', { class: 'muted' }, '(empty reply)'));
  const err = msg.error;
  el.replaceChildren(...[
    h('h2', { class: 'sr-only' }, 'Runnel replied:'),
    paintThinking(el, msg, streaming),
    body,
    msg.json !== undefined && jsonPanel(msg.json),
    msg.status === 'interrupted' && h('p', { class: 'note', 'data-testid': 'interrupted' }, 'Interrupted'),
    msg.status === 'stopped' && h('p', { class: 'note', 'data-testid': 'stopped' }, 'Stopped'),
    err && h('div', { class: 'error', role: 'alert', 'data-testid': 'error' },
      h('span', {}, h('strong', {}, 'Error'), ' ', h('code', {}, err.code), ' ', err.message),
      last && button('retry', 'Retry this message', 'Retry')),
    !streaming && h('p', { class: 'meta', 'data-testid': 'reply-meta' }, metaText(msg.meta, msg.text)),
    !streaming && h('div', { class: 'actions' },
      msg.text && button('copy', 'Copy reply as markdown', 'Copy'),
      last && !err && button('regenerate', 'Regenerate this reply', 'Regenerate')), // a failed reply has Retry
  ].filter(Boolean));
}

/** Removes Retry and Regenerate from earlier replies once a new one starts. */
export function dropLastActions(log) {
  for (const b of log.querySelectorAll('[data-action=retry],[data-action=regenerate]')) b.remove();
}

/** Copies text: the async clipboard API, else a hidden textarea and execCommand. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const focused = document.activeElement;
    const ta = h('textarea', { readonly: '', class: 'offscreen', 'aria-hidden': 'true' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
    focused?.focus?.();
    return ok;
  }
}
