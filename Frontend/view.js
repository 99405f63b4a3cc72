// DOM for the messages. Everything from the server or the user goes in as text
// nodes or through markdown.js's DOM builder: never as HTML.
import { toDOM } from './markdown.js';

/** Creates an element: h('button', {type: 'button'}, 'Copy'). Null/false attrs and kids are skipped. */
export function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null && v !== false) el.setAttribute(k, v);
  el.append(...kids.flat().filter((k) => k != null && k !== false));
  return el;
}

const button = (action, label, text) =>
  h('button', { type: 'button', class: 'act', 'data-action': action, 'data-testid': `${action}-button`, 'aria-label': label }, text);

function jsonPanel(value) {
  const what = Array.isArray(value) ? `array · ${value.length} items`
    : value && typeof value === 'object' ? `object · ${Object.keys(value).length} keys` : typeof value;
  return h('details', { class: 'json-panel', 'data-testid': 'json-panel' },
    h('summary', {}, 'JSON data ', h('span', { class: 'muted' }, what)),
    h('pre', {}, h('code', { class: 'language-json' }, JSON.stringify(value, null, 2))));
}

const round = (n) => (n >= 100 ? Math.round(n) : n.toFixed(1));

/** "mock · mock-1 · first token 310 ms · 48.2 tok/s · 2.1 s" from an end event's fields. */
export function metaText(meta, text) {
  if (!meta) return '';
  const parts = [...new Set([meta.backend, meta.model].filter(Boolean))];
  const first = meta.first_chunk_ms;
  const total = meta.elapsed_ms;
  if (first != null) parts.push(`first token ${Math.round(first)} ms`);
  if (total != null && text) {
    const streamed = total - (first ?? 0);
    const secs = streamed / 1000;
    const tokens = meta.usage?.output_tokens;
    // A rate over less than 0.1 s (echo, a cached reply) is noise: "13000 chars/s".
    if (streamed >= 100) parts.push(tokens ? `${round(tokens / secs)} tok/s` : `${round(text.length / secs)} chars/s`);
    parts.push(total < 1000 ? `${Math.round(total)} ms` : `${(total / 1000).toFixed(1)} s`);
  }
  return parts.join(' · ');
}

/** A message's element; `last` adds Regenerate/Retry (only the last reply has them). */
export function renderMessage(msg, last = false) {
  const el = h('article', { class: `msg ${msg.role}`, 'data-role': msg.role, 'data-id': msg.id });
  if (msg.role === 'user') {
    el.append(h('h2', { class: 'sr-only' }, 'You said:'), h('div', { class: 'bubble' }, msg.text));
  } else {
    fill(el, msg, last);
  }
  return el;
}

/** (Re)renders an assistant message: streaming text as a growing text node, else markdown. */
export function fill(el, msg, last = true) {
  const streaming = msg.status === 'streaming';
  el.dataset.status = msg.status;
  el.setAttribute('aria-busy', String(streaming));
  const body = h('div', { class: 'body md' });
  if (streaming) {
    el.stream = document.createTextNode(msg.text);
    body.append(h('div', { class: 'stream' }, el.stream));
  } else if (msg.text) {
    body.append(toDOM(msg.text));
  } else if (msg.status === 'done') {
    body.append(h('p', { class: 'muted' }, '(empty reply)'));
  }
  const err = msg.error;
  el.replaceChildren(...[
    h('h2', { class: 'sr-only' }, 'Runnel replied:'),
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
