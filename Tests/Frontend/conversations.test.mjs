// Tests for the conversation modules: branches.js (edit and resend), store.js (localStorage),
// transfer.js (export, import), settings.js (the POST body's options), tokens.js (estimates).
// Run with `node --test Tests/Frontend/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

class MemoryStorage {
  constructor() { this.map = new Map(); }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
  clear() { this.map.clear(); }
}
globalThis.localStorage = new MemoryStorage();
globalThis.sessionStorage = new MemoryStorage();

const { path, append, drop, versions, showBranch, historyBefore } = await import('../../Frontend/branches.js');
const store = await import('../../Frontend/store.js');
const { toMarkdown, toJSON, fromJSON, fileName } = await import('../../Frontend/transfer.js');
const { requestOptions } = await import('../../Frontend/settings.js');
const { estimateTokens, contextSize, compact, DEFAULT_CONTEXT } = await import('../../Frontend/tokens.js');

let n = 0;
const msg = (role, text, extra = {}) => ({ id: `m${++n}`, role, text, ...extra });

/** u1 → a1 → u2 → a2, then u2 edited into u2b → a2b. */
function edited() {
  const conv = store.freshChat();
  const u1 = append(conv, msg('user', 'first'));
  const a1 = append(conv, msg('assistant', 'reply one', { status: 'done' }));
  const u2 = append(conv, msg('user', 'second'));
  const a2 = append(conv, msg('assistant', 'reply two', { status: 'done' }));
  const u2b = append(conv, msg('user', 'second, edited'), u2.parent);
  const a2b = append(conv, msg('assistant', 'reply two b', { status: 'done' }));
  return { conv, u1, a1, u2, a2, u2b, a2b };
}

test('branches: an edit starts a branch beside the old one; both stay navigable', () => {
  const { conv, u1, a1, u2, a2, u2b, a2b } = edited();
  assert.deepEqual(path(conv).map((m) => m.id), [u1.id, a1.id, u2b.id, a2b.id]);
  assert.deepEqual(versions(conv, u2b), { list: [u2, u2b], index: 1 });
  assert.deepEqual(versions(conv, u1).list, [u1], 'an unedited message has one version');
  showBranch(conv, u2);
  assert.deepEqual(path(conv).map((m) => m.id), [u1.id, a1.id, u2.id, a2.id], 'the old branch, down to its reply');
  showBranch(conv, u2b);
  assert.equal(conv.head, a2b.id);
});

test('branches: history is the turns of the branch before the message', () => {
  const { conv, u2, u2b } = edited();
  const before = [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'reply one' }];
  assert.deepEqual(historyBefore(conv, u2b), before);
  assert.deepEqual(historyBefore(conv, u2), before, 'the same for both versions: they share a parent');
  const u3 = append(conv, msg('user', 'third'));
  assert.deepEqual(historyBefore(conv, u3), [...before,
    { role: 'user', content: 'second, edited' }, { role: 'assistant', content: 'reply two b' }]);
  assert.deepEqual(historyBefore(conv, path(conv)[0]), [], 'nothing before the first message');
});

test('branches: a failed reply leaves its user turn out of the history, so turns alternate', () => {
  const conv = store.freshChat();
  append(conv, msg('user', 'ok'));
  append(conv, msg('assistant', 'fine', { status: 'done' }));
  append(conv, msg('user', 'fails'));
  append(conv, msg('assistant', '', { status: 'error' }));
  const next = append(conv, msg('user', 'again'));
  assert.deepEqual(historyBefore(conv, next), [{ role: 'user', content: 'ok' }, { role: 'assistant', content: 'fine' }]);
});

test('branches: the history keeps the latest exchanges within the turn and byte limits', () => {
  const conv = store.freshChat();
  for (let k = 1; k <= 5; k++) {
    append(conv, msg('user', `q${k}`));
    append(conv, msg('assistant', `a${k}`.padEnd(k === 4 ? 100 : 2, '.'), { status: 'done' }));
  }
  const next = append(conv, msg('user', 'q6'));
  assert.equal(historyBefore(conv, next).length, 10);
  assert.deepEqual(historyBefore(conv, next, 4).map((t) => t.content), ['q4', 'a4'.padEnd(100, '.'), 'q5', 'a5']);
  assert.deepEqual(historyBefore(conv, next, 200, 50).map((t) => t.content), ['q5', 'a5'], 'stops at the exchange over the bytes');
});

test('branches: regenerate drops the last reply only', () => {
  const { conv, u2b, a2b, u2 } = edited();
  drop(conv, a2b);
  assert.equal(conv.head, u2b.id);
  assert.equal(conv.nodes.length, 5);
  drop(conv, u2); // has a reply: kept
  assert.equal(conv.nodes.length, 5);
});

test('store: ids are 128 random bits; conversations persist, list newest first, rename, search, delete', () => {
  localStorage.clear();
  const ids = new Set(Array.from({ length: 1000 }, () => store.randomId('c_')));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^c_[0-9a-f]{32}$/);

  const a = store.freshChat();
  store.saveChat(a);
  assert.deepEqual(store.listChats(), [], 'an empty chat is not listed');
  append(a, msg('user', 'How do rivers form?\nsecond line'));
  a.updated = 1;
  store.saveChat(a);
  const b = store.freshChat();
  append(b, msg('user', 'x'.repeat(100)));
  b.updated = 2;
  store.saveChat(b);
  assert.deepEqual(store.listChats().map((e) => e.id), [b.id, a.id]);
  assert.equal(store.listChats()[1].title, 'How do rivers form?');
  assert.equal(store.listChats()[0].title.length, 60);
  assert.deepEqual(store.loadChat(a.id), JSON.parse(JSON.stringify(a)));

  store.renameChat(a, '  Rivers  ');
  store.saveChat(a);
  assert.equal(store.loadChat(a.id).title, 'Rivers', 'a chosen title survives later saves');
  assert.deepEqual(store.searchChats('rivers FORM').map((e) => e.id), [a.id], 'title and text, any case');
  assert.deepEqual(store.searchChats('second line').map((e) => e.id), [a.id], 'the text of any message');
  assert.deepEqual(store.searchChats('nowhere'), []);
  store.deleteChat(a.id);
  assert.equal(store.loadChat(a.id), null);
  assert.deepEqual(store.listChats().map((e) => e.id), [b.id]);
  assert.equal(store.loadChat('../x'), null, 'ids are checked before use');
});

test('store: a tab\'s chat from before conversations becomes a stored one, nothing lost', () => {
  localStorage.clear();
  sessionStorage.clear();
  const messages = [{ id: 'm_1', role: 'user', text: 'old' }, { id: 'm_2', role: 'assistant', text: 'reply', status: 'done' }];
  sessionStorage.setItem('runnel.chat.v1', JSON.stringify({ id: 'c_old', backend: 'mock', messages }));
  const conv = store.currentChat();
  assert.equal(conv.id, 'c_old');
  assert.deepEqual(path(conv).map((m) => m.text), ['old', 'reply']);
  assert.deepEqual(store.listChats().map((e) => [e.id, e.title]), [['c_old', 'old']]);
  assert.equal(sessionStorage.getItem('runnel.chat.v1'), null);
  sessionStorage.clear();
  assert.equal(store.currentChat(), null, 'a fresh tab has none');
});

test('transfer: JSON round trip keeps every branch; Markdown is the branch on screen', () => {
  const { conv } = edited();
  conv.title = 'Two branches';
  const back = fromJSON(toJSON(conv));
  assert.equal(back.title, 'Two branches');
  assert.equal(back.nodes.length, 6);
  const asBefore = (c) => path(c).map((m) => [m.role, m.text]);
  assert.deepEqual(asBefore(back), asBefore(conv));
  assert.ok(back.nodes.every((m, i) => m.id !== conv.nodes[i].id && /^m_[0-9a-f]{32}$/.test(m.id)), 'new ids');
  assert.equal(toMarkdown(conv), '# Two branches\n\n## You\n\nfirst\n\n## Runnel\n\nreply one\n\n## You\n\nsecond, edited\n\n## Runnel\n\nreply two b\n');
  assert.equal(fileName(conv, 'md'), 'two-branches.md');
  assert.equal(fileName({ title: '../../etc' }, 'json'), 'etc.json');
});

test('transfer: a bad file is refused with a reason', () => {
  const ok = { format: 'runnel.conversation', version: 1, messages: [{ id: 'a', parent: null, role: 'user', text: 'hi' }] };
  const bad = (value, reason) => assert.throws(() => fromJSON(typeof value === 'string' ? value : JSON.stringify(value)), reason);
  assert.equal(fromJSON(JSON.stringify(ok)).nodes.length, 1);
  bad('{not json', /not JSON/);
  bad({ ...ok, format: 'other' }, /not a Runnel conversation/);
  bad({ ...ok, version: 2 }, /version 2/);
  bad({ ...ok, messages: [] }, /non-empty array/);
  bad({ ...ok, messages: [{ id: 'a', role: 'system', text: 'x' }] }, /message 1: "role"/);
  bad({ ...ok, messages: [{ id: 'a', role: 'user', text: 5 }] }, /"text" must be a string/);
  bad({ ...ok, messages: [{ id: 'a', role: 'user', text: 'x' }, { id: 'a', role: 'assistant', text: 'y' }] }, /message 2 has a missing or repeated "id"/);
  bad({ ...ok, messages: [{ id: 'a', parent: 'zz', role: 'user', text: 'x' }] }, /"parent" must name an earlier message/);
  bad('[1, 2]', /not a Runnel conversation/);
});

test('settings: only options set, in range, go in the POST body', () => {
  const none = { backend: '', model: '', system: '', temperature: '', max_tokens: '' };
  assert.deepEqual(requestOptions(none), {});
  assert.deepEqual(requestOptions({ backend: 'openai', model: ' gpt-4o ', system: 'Be brief.', temperature: '0.7', max_tokens: '256' }),
    { backend: 'openai', model: 'gpt-4o', system: 'Be brief.', temperature: 0.7, max_tokens: 256 });
  assert.deepEqual(requestOptions({ ...none, temperature: '0' }), { temperature: 0 }, 'zero is a temperature');
  assert.deepEqual(requestOptions({ ...none, temperature: '2.5', max_tokens: '0' }), {});
  assert.deepEqual(requestOptions({ ...none, max_tokens: '1.5', system: '   ' }), {});
  assert.deepEqual(requestOptions({ ...none, max_tokens: '1000001' }), {});
  assert.deepEqual(requestOptions({ ...none, max_tokens: '1000000' }), { max_tokens: 1_000_000 });
});

test('tokens: estimates, context sizes by model family, compact numbers', () => {
  assert.equal(estimateTokens(''), 0);
  assert.equal(estimateTokens('Hello, world! This is a test of 12345 tokens.'), 13);
  assert.equal(estimateTokens('日本語のテキスト'), 8, 'a CJK character is about a token');
  assert.ok(estimateTokens('x'.repeat(4000)) < 4000 / 4 + 1, 'long runs are not one token each');
  assert.equal(contextSize('gpt-4o-mini'), 128_000);
  assert.equal(contextSize('openai/gpt-4.1'), 1_047_576);
  assert.equal(contextSize('claude-3-5-sonnet-latest'), 200_000);
  assert.equal(contextSize('gemini-2.0-flash'), 1_048_576);
  assert.equal(contextSize('mock-1'), DEFAULT_CONTEXT);
  assert.equal(contextSize(undefined), DEFAULT_CONTEXT);
  assert.deepEqual([5, 999, 1234, 12_345, 128_000, 1_048_576].map(compact), ['5', '999', '1.2k', '12k', '128k', '1M']);
});
