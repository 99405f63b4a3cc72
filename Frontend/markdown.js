// A small, safe markdown renderer for model replies.
// parse() turns text into a tree of plain objects; toDOM() builds nodes with
// createElement/createTextNode only, so nothing in a reply is ever parsed as HTML;
// toHTML() serialises the same tree with everything escaped (tests, copy as HTML).
// Raw HTML in the source stays text. Links keep http, https and mailto URLs only.
// BlockStream renders a reply as it streams: finished blocks once, the open one per frame.
// $…$ and $$…$$ become math nodes holding their TeX as text; math.js typesets them.
import { highlight } from './highlight.js';

const PUNCT = /[!-/:-@[-`{-~]/;
const FENCE = /^( {0,3})(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST = /^( {0,3})([-+*]|\d{1,9}[.)])(?:[ \t]+(.*))?$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const DELIM = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const AUTOLINK = /<((?:https?|mailto):[^\s<>]*)>/iy;
const BARE_URL = /https?:\/\/[^\s<>]*[^\s<>.,:;!?'")\]*_~]/iy;
const LINK_DEST = /\([ \t\n]*(?:<([^<>\n]*)>|((?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*))(?:[ \t\n]+(?:"[^"]*"|'[^']*'|\([^()]*\)))?[ \t\n]*\)/y;
const ALNUM = /[\p{L}\p{N}]/u;
const MATH_BLOCK = /^ {0,3}\$\$/;

/** The URL as an absolute http(s)/mailto href, or null for anything else. */
export function safeUrl(raw) {
  const u = String(raw).trim().replace(/\\([!-/:-@[-`{-~])/g, '$1');
  if (!/^(?:https?:\/\/|mailto:)/i.test(u)) return null;
  try {
    const url = new URL(u);
    return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

const LINE_END = /\r\n|\r|\n/;
const splitLines = (src) => String(src ?? '').split(LINE_END).map((l) => l.replace(/^\t+/, (t) => '    '.repeat(t.length)));

/** Parses markdown into block nodes: paragraph, heading, code, list, blockquote, table, hr. */
export function parse(src) {
  return blocks(splitLines(src));
}

const indentOf = (l) => l.length - l.trimStart().length;
const isBlank = (l) => l === undefined || !l.trim();
const startsBlock = (l) => MATH_BLOCK.test(l) || FENCE.test(l) || HEADING.test(l) || HR.test(l) || QUOTE.test(l) || LIST.test(l);

// `starts`, when given, receives the line each top-level block starts on.
function blocks(lines, starts) {
  const out = [];
  let i = 0;
  let m;
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) { i++; continue; }
    starts?.push(i);
    if ((m = FENCE.exec(line))) {
      const [, pad, fence, lang] = m;
      const close = new RegExp(`^ {0,3}${fence[0]}{${fence.length},}[ \\t]*$`);
      const body = [];
      for (i++; i < lines.length && !close.test(lines[i]); i++) {
        body.push(lines[i].slice(Math.min(pad.length, indentOf(lines[i]))));
      }
      i++;
      out.push({ type: 'code', lang, text: body.join('\n') });
    } else if (MATH_BLOCK.test(line)) {
      // $$ on its own lines, or $$ x $$ on one; unclosed (still streaming) it stays TeX text.
      let tex = line.trim().slice(2);
      let closed = tex.endsWith('$$');
      for (i++; !closed && i < lines.length; i++) {
        tex += `\n${lines[i]}`;
        closed = lines[i].trimEnd().endsWith('$$');
      }
      if (closed) tex = tex.trimEnd().slice(0, -2);
      out.push({ type: 'math', display: true, tex: tex.trim(), open: !closed });
    } else if ((m = HEADING.exec(line))) {
      out.push({ type: 'heading', level: m[1].length, children: inline((m[2] || '').trim()) });
      i++;
    } else if (HR.test(line)) {
      out.push({ type: 'hr' });
      i++;
    } else if (QUOTE.test(line)) {
      const inner = [];
      while (i < lines.length && (m = QUOTE.exec(lines[i]))) { inner.push(m[1]); i++; }
      out.push({ type: 'blockquote', children: blocks(inner) });
    } else if (LIST.test(line)) {
      i = list(lines, i, out);
    } else if (line.includes('|') && (m = table(lines, i))) {
      out.push(m.node);
      i = m.end;
    } else {
      const para = [line.trim()];
      let level = 0;
      for (i++; i < lines.length && !isBlank(lines[i]); i++) {
        if ((m = SETEXT.exec(lines[i]))) { level = m[1][0] === '=' ? 1 : 2; i++; break; }
        if (startsBlock(lines[i]) || (lines[i].includes('|') && table(lines, i))) break;
        para.push(lines[i].trimStart());
      }
      const children = inline(para.join('\n').trimEnd());
      out.push(level ? { type: 'heading', level, children } : { type: 'paragraph', children });
    }
  }
  return out;
}

function list(lines, i, out) {
  const first = LIST.exec(lines[i]);
  const ordered = /\d/.test(first[2]);
  const kind = first[2].slice(-1);
  const node = { type: 'list', ordered, start: ordered ? parseInt(first[2], 10) : 1, tight: true, items: [] };
  const sibling = (m) => m && /\d/.test(m[2]) === ordered && m[2].slice(-1) === kind;
  while (i < lines.length) {
    const m = LIST.exec(lines[i]);
    if (!sibling(m) || HR.test(lines[i])) break;
    const markerIndent = m[1].length;
    const content = m[3] ?? '';
    const gap = lines[i].length - markerIndent - m[2].length - content.length;
    const contentIndent = markerIndent + m[2].length + (gap >= 1 && gap <= 4 ? gap : 1);
    const item = [content];
    for (i++; i < lines.length; i++) {
      const l = lines[i];
      if (isBlank(l)) {
        let j = i;
        while (j < lines.length && isBlank(lines[j])) j++;
        const ind = j < lines.length ? indentOf(lines[j]) : 0;
        if (j < lines.length && ind > markerIndent && ind >= Math.min(contentIndent, markerIndent + 2)) {
          while (i < j) { item.push(''); i++; }
          node.tight = false;
          i--;
          continue;
        }
        if (sibling(LIST.exec(lines[j] ?? ''))) { i = j; node.tight = false; }
        break;
      }
      const ind = indentOf(l);
      if (ind >= contentIndent || (ind > markerIndent && LIST.test(l))) {
        item.push(l.slice(Math.min(ind, contentIndent)));
      } else if (!startsBlock(l) && !isBlank(item[item.length - 1]) && !FENCE.test(item[0])) {
        item.push(l.trimStart()); // lazy paragraph continuation
      } else {
        break;
      }
    }
    node.items.push(blocks(item));
  }
  out.push(node);
  return i;
}

function cells(line) {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const parts = [];
  let cur = '';
  for (let k = 0; k < s.length; k++) {
    if (s[k] === '\\' && s[k + 1] === '|') { cur += '|'; k++; }
    else if (s[k] === '|') { parts.push(cur.trim()); cur = ''; }
    else cur += s[k];
  }
  parts.push(cur.trim());
  return parts;
}

function table(lines, i) {
  if (i + 1 >= lines.length || !DELIM.test(lines[i + 1])) return null;
  const head = cells(lines[i]);
  const delim = cells(lines[i + 1]);
  if (head.length !== delim.length) return null;
  const align = delim.map((d) => (d.endsWith(':') ? (d.startsWith(':') ? 'center' : 'right') : d.startsWith(':') ? 'left' : ''));
  const rows = [];
  let j = i + 2;
  for (; j < lines.length && !isBlank(lines[j]) && lines[j].includes('|'); j++) {
    const c = cells(lines[j]);
    rows.push(head.map((_, k) => inline(c[k] ?? '')));
  }
  return { node: { type: 'table', align, head: head.map((c) => inline(c)), rows }, end: j };
}

const runLength = (s, i, c) => { let j = i; while (s[j] === c) j++; return j - i; };

// The index of the backtick run closing an n-backtick code span opened before `from`.
function closeTicks(s, from, n) {
  for (let j = s.indexOf('`', from); j >= 0; j = s.indexOf('`', j)) {
    const m = runLength(s, j, '`');
    if (m === n) return j;
    j += m;
  }
  return -1;
}

/** Parses inline markdown: text, strong, em, del, codespan, link, br. */
export function inline(s) {
  const out = [];
  let text = '';
  const flush = () => { if (text) out.push({ type: 'text', text }); text = ''; };
  const add = (...nodes) => { flush(); out.push(...nodes); };
  let i = 0;
  let m;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\' && s[i + 1] === '\n') { add({ type: 'br' }); i += 2; continue; }
    if (c === '\\' && PUNCT.test(s[i + 1] || '')) { text += s[i + 1]; i += 2; continue; }
    if (c === '`') {
      const n = runLength(s, i, '`');
      const end = closeTicks(s, i + n, n);
      if (end < 0) { text += s.slice(i, i + n); i += n; continue; }
      let code = s.slice(i + n, end).replace(/\n/g, ' ');
      if (code.length > 2 && code[0] === ' ' && code.endsWith(' ') && code.trim()) code = code.slice(1, -1);
      add({ type: 'codespan', text: code });
      i = end + n;
      continue;
    }
    if (c === '$' && (m = math(s, i))) { add(m.node); i = m.end; continue; }
    if (c === '[' || (c === '!' && s[i + 1] === '[')) {
      const image = c === '!';
      const r = link(s, image ? i + 1 : i);
      if (r) {
        // Images are never loaded (no external requests): they become links to their URL.
        const label = image ? (r.label ? [{ type: 'text', text: r.label }] : []) : inline(r.label).flatMap(unlink);
        const href = safeUrl(r.dest);
        if (href) add({ type: 'link', href, children: label.length ? label : [{ type: 'text', text: href }] });
        else add(...label);
        i = r.end;
        continue;
      }
    }
    if (c === '<') {
      AUTOLINK.lastIndex = i;
      if ((m = AUTOLINK.exec(s)) && safeUrl(m[1])) {
        add({ type: 'link', href: safeUrl(m[1]), children: [{ type: 'text', text: m[1] }] });
        i = AUTOLINK.lastIndex;
        continue;
      }
    }
    if ((c === 'h' || c === 'H') && !ALNUM.test(s[i - 1] || '')) {
      BARE_URL.lastIndex = i;
      if ((m = BARE_URL.exec(s))) {
        let url = m[0];
        if (s[i + url.length] === ')' && url.split('(').length > url.split(')').length) url += ')';
        const href = safeUrl(url);
        if (href) {
          add({ type: 'link', href, children: [{ type: 'text', text: url }] });
          i += url.length;
          continue;
        }
      }
    }
    if (c === '*' || c === '_' || c === '~') {
      const r = emphasis(s, i);
      if (r) { add(r.node); i = r.end; continue; }
      const n = runLength(s, i, c);
      text += s.slice(i, i + n);
      i += n;
      continue;
    }
    if (c === '\n') {
      const hard = / {2,}$/.test(text);
      text = text.replace(/ +$/, '');
      if (hard) add({ type: 'br' });
      else text += '\n';
      i++;
      continue;
    }
    text += c;
    i++;
  }
  flush();
  return out;
}

// $x$ (no space inside either $, no digit right after the closing one: "$5 and $6" is
// money) or $$x$$. Backslash-escaped dollars are text.
function math(s, i) {
  const n = s[i + 1] === '$' ? 2 : 1;
  if (n === 1 && /[\s$]/.test(s[i + 1] || ' ')) return null;
  for (let j = s.indexOf('$', i + n); j > 0; j = s.indexOf('$', j + 1)) {
    if (s[j - 1] === '\\') continue;
    const tex = s.slice(i + n, j);
    if (n === 2 ? s[j + 1] === '$' && tex.trim() : !/\s/.test(s[j - 1]) && !/\d/.test(s[j + 1] || '')) {
      return { node: { type: 'math', display: n === 2, inline: true, tex: tex.trim() }, end: j + n };
    }
  }
  return null;
}

// Links cannot nest: a URL inside a link's label stays text.
const unlink = (n) => (n.type === 'link' ? n.children.flatMap(unlink) : n.children ? [{ ...n, children: n.children.flatMap(unlink) }] : [n]);

function link(s, i) {
  let depth = 0;
  let j = i;
  for (; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') { j++; continue; }
    if (c === '`') {
      const n = runLength(s, j, '`');
      const e = closeTicks(s, j + n, n);
      j = (e < 0 ? j + n : e + n) - 1;
      continue;
    }
    if (c === '[') depth++;
    else if (c === ']' && --depth === 0) break;
  }
  if (j >= s.length || s[j + 1] !== '(') return null;
  LINK_DEST.lastIndex = j + 1;
  const m = LINK_DEST.exec(s);
  if (!m) return null;
  return { label: s.slice(i + 1, j), dest: m[1] ?? m[2], end: LINK_DEST.lastIndex };
}

// Emphasis with delimiter runs: ** and __ strong, * and _ em, ~~ del. Not full
// CommonMark, but nests sensibly and leaves snake_case and "2 * 3" alone.
function emphasis(s, i) {
  const c = s[i];
  const n = runLength(s, i, c);
  const after = s[i + n];
  if (!after || /\s/.test(after)) return null;
  if (c === '_' && ALNUM.test(s[i - 1] || '')) return null;
  const sizes = c === '~' ? (n === 2 ? [2] : []) : n >= 2 ? [2, 1] : [1];
  for (const k of sizes) {
    const close = closer(s, i + k + 1, c, k);
    if (close < 0) continue;
    const type = k === 1 ? 'em' : c === '~' ? 'del' : 'strong';
    return { node: { type, children: inline(s.slice(i + k, close)) }, end: close + k };
  }
  return null;
}

function closer(s, from, c, k) {
  let depth = 0;
  for (let j = from; j < s.length; j++) {
    const ch = s[j];
    if (ch === '\\') { j++; continue; }
    if (ch === '`') {
      const n = runLength(s, j, '`');
      const e = closeTicks(s, j + n, n);
      j = (e < 0 ? j + n : e + n) - 1;
      continue;
    }
    if (ch !== c) continue;
    const m = runLength(s, j, c);
    const prev = s[j - 1];
    const next = s[j + m];
    const canClose = !/\s/.test(prev) && !(c === '_' && next && ALNUM.test(next));
    const canOpen = next !== undefined && !/\s/.test(next) && !canClose;
    const fits = k === 1 ? m === 1 || m >= 3 : m >= k && (c !== '~' || m === 2);
    if (fits && canOpen) depth++;
    else if (fits && canClose) {
      if (depth === 0) return j + m - k;
      depth--;
    }
    j += m - 1;
  }
  return -1;
}

// ---- streaming -------------------------------------------------------------------------

/**
 * A reply as it streams, in top-level blocks. `update(text)` returns the blocks that became
 * final since the last call (`done`: render them once, never again) and the open tail as it
 * should look for now (`open`: re-render it each time); `update(text, true)` ends the reply.
 * The blocks of every `done` and the last `open` together are exactly `parse(text)`.
 *
 *   const s = new BlockStream();
 *   s.update('# Hi\n\nSome **te');  // → { done: [], open: [heading, paragraph with strong "te"] }
 */
export class BlockStream {
  constructor() {
    this.from = 0; // offset in the text of the first line not yet final
  }

  update(text, end = false) {
    const tail = text.slice(this.from);
    const lines = splitLines(tail);
    const starts = [];
    const nodes = blocks(lines, starts);
    if (end) {
      this.from = text.length;
      return { done: nodes, open: [] };
    }
    // The top-level parse carries no state from one block to the next, so a block is final
    // once what ended it can no longer change: the next block starts on a complete line, and
    // so does the line after that (a table's delimiter row, the only further look-ahead).
    const last = lines.length - 1;
    let n = 0;
    while (n + 1 < nodes.length && starts[n + 1] + 1 < last) n++;
    let rest = tail;
    if (n) {
      const at = lineOffset(tail, starts[n]);
      this.from += at;
      rest = tail.slice(at);
    }
    const shown = preview(rest);
    return { done: nodes.slice(0, n), open: shown === rest ? nodes.slice(n) : parse(shown) };
  }
}

function lineOffset(s, k) {
  const re = /\r\n|\r|\n/g;
  for (let i = 0; i < k; i++) re.exec(s);
  return re.lastIndex;
}

const delimiterFor = (row) => `|${cells(row).map(() => '---').join('|')}|`;
const TABLE_ROW = /^ {0,3}\|/;
const PARTIAL_DELIM = /^ {0,3}[|:-][|: \t-]*$/;

// The open tail as it should look mid-stream: a table whose header or delimiter row is still
// arriving shows as a table; a half-typed marker or link is hidden and unclosed `code`,
// **strong**, *em* and ~~del~~ are closed, so raw syntax never flashes. Inside an unclosed
// code fence nothing changes (the parser already shows it as a code block).
function preview(src) {
  const lines = src.split(LINE_END);
  let fence = null;
  for (const l of lines) {
    const m = FENCE.exec(l);
    if (fence ? new RegExp(`^ {0,3}${fence[0]}{${fence.length},}[ \\t]*$`).test(l) : m) fence = fence ? null : m[2];
  }
  if (fence) return src;
  while (lines.length > 1 && isBlank(lines[lines.length - 1])) lines.pop();
  const k = lines.length - 1;
  const pipes = (i) => i >= 0 && lines[i].includes('|');
  if (k > 0 && pipes(k - 1) && !pipes(k - 2) && PARTIAL_DELIM.test(lines[k])) {
    lines[k] = delimiterFor(lines[k - 1]);
  } else if (TABLE_ROW.test(lines[k]) && !pipes(k - 1)) {
    lines.push(delimiterFor(lines[k]));
  } else {
    let p = k;
    while (p > 0 && !isBlank(lines[p - 1])) p--;
    lines.splice(p, k - p + 1, closeInline(lines.slice(p).join('\n')));
  }
  return lines.join('\n');
}

function closeInline(text) {
  const s = text.replace(/!?\[([^\]\n]*)(?:\]\([^)\s]*)?$/, '$1').replace(/(^|\s)[*_~`]+$/, '$1').trimEnd();
  const open = [];
  for (let i = 0; i < s.length;) {
    const c = s[i];
    if (c === '\\') { i += 2; continue; }
    if (c === '`') {
      const n = runLength(s, i, c);
      const end = closeTicks(s, i + n, n);
      if (end < 0) return s + c.repeat(n) + open.reverse().join('');
      i = end + n;
      continue;
    }
    if (c !== '*' && c !== '_' && c !== '~') { i++; continue; }
    const n = runLength(s, i, c);
    const before = s[i - 1];
    const after = s[i + n];
    const top = open[open.length - 1];
    if (top && top[0] === c && before && !/\s/.test(before)) {
      if (i + n === s.length && n < top.length) return s.slice(0, i) + open.reverse().join(''); // a closer half typed
      open.pop();
    }
    else if (after && !/\s/.test(after) && !(c === '_' && ALNUM.test(before || ''))) open.push(c.repeat(c === '~' ? 2 : Math.min(n, 3)));
    i += n;
  }
  return s + open.reverse().join('');
}

// One tree walk for both outputs: h(tag, attrs, children) makes an element, h.text a text node.
function build(n, h) {
  const kids = (a) => a.map((x) => build(x, h));
  switch (n.type) {
    case 'text': return h.text(n.text);
    case 'paragraph': return h('p', null, kids(n.children));
    case 'heading': return h(`h${n.level}`, null, kids(n.children));
    case 'strong': case 'em': case 'del': return h(n.type, null, kids(n.children));
    case 'codespan': return h('code', null, [h.text(n.text)]);
    case 'br': case 'hr': return h(n.type, null, []);
    case 'math': {
      const attrs = { class: n.display ? 'math math-display' : 'math' };
      if (!n.open) attrs['data-tex'] = n.tex; // typeset once complete
      return h(n.display && !n.inline ? 'div' : 'span', attrs, [h.text(n.display ? `$$${n.tex}${n.open ? '' : '$$'}` : `$${n.tex}$`)]);
    }
    case 'link': return h('a', { href: n.href, target: '_blank', rel: 'noopener noreferrer' }, kids(n.children));
    case 'blockquote': return h('blockquote', null, kids(n.children));
    case 'list':
      return h(n.ordered ? 'ol' : 'ul', n.ordered && n.start !== 1 ? { start: String(n.start) } : null,
        n.items.map((item) => h('li', null, item.flatMap((b) => (n.tight && b.type === 'paragraph' ? kids(b.children) : [build(b, h)])))));
    case 'code': {
      const lang = n.lang.replace(/[^\w+#.-]/g, '');
      const tokens = highlight(n.text, lang) ?? [['', n.text]];
      const tool = (action, label, testid) => h('button', { type: 'button', class: 'code-tool', 'data-action': action, 'data-testid': testid }, [h.text(label)]);
      return h('div', { class: 'code-block' }, [
        h('div', { class: 'code-head' }, [
          h('span', { class: 'code-lang' }, [h.text(lang || 'text')]),
          tool('wrap-code', 'Wrap', 'code-wrap'),
          tool('copy-code', 'Copy', 'code-copy'),
        ]),
        h('pre', null, [h('code', lang ? { class: `language-${lang}` } : null,
          tokens.map(([c, t]) => (c ? h('span', { class: `t-${c}` }, [h.text(t)]) : h.text(t))))]),
      ]);
    }
    case 'table': {
      const cell = (tag, c, k) => h(tag, n.align[k] ? { class: `align-${n.align[k]}` } : null, kids(c));
      return h('div', { class: 'table-wrap' }, [h('table', null, [
        h('thead', null, [h('tr', null, n.head.map((c, k) => cell('th', c, k)))]),
        h('tbody', null, n.rows.map((r) => h('tr', null, r.map((c, k) => cell('td', c, k))))),
      ])]);
    }
    default: return h.text('');
  }
}

const toTree = (src) => (typeof src === 'string' ? parse(src) : src);

/** Escapes text for HTML content and attribute values. */
export const escapeHTML = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The markdown (or a parsed tree) as an HTML string in which all content is escaped. */
export function toHTML(src) {
  const h = (tag, attrs, children) => {
    const a = Object.entries(attrs || {}).map(([k, v]) => ` ${k}="${escapeHTML(v)}"`).join('');
    return tag === 'br' || tag === 'hr' ? `<${tag}${a}>` : `<${tag}${a}>${children.join('')}</${tag}>`;
  };
  h.text = escapeHTML;
  return toTree(src).map((n) => build(n, h)).join('');
}

/** The markdown (or a parsed tree) as a DocumentFragment, built without any HTML parsing. */
export function toDOM(src, doc = globalThis.document) {
  const h = (tag, attrs, children) => {
    const el = doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    el.append(...children);
    return el;
  };
  h.text = (s) => doc.createTextNode(s);
  const frag = doc.createDocumentFragment();
  frag.append(...toTree(src).map((n) => build(n, h)));
  return frag;
}
