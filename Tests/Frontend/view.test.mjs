// Tests for Frontend/view.js's metadata line: run with `node --test Tests/Frontend/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metaText } from '../../Frontend/view.js';

const meta = { backend: 'mock', model: 'mock-1', first_chunk_ms: 310.4, elapsed_ms: 2310, usage: { output_tokens: 96 } };

test('metadata: model, first token, tok/s from usage, duration', () => {
  assert.equal(metaText(meta, 'some text'), 'mock · mock-1 · first token 310 ms · 48.0 tok/s · 2.3 s');
  assert.equal(metaText({ ...meta, backend: 'echo', model: 'echo', first_chunk_ms: 5, elapsed_ms: 40 }, 'hi'),
    'echo · first token 5 ms · 40 ms', 'no rate over less than 0.1 s, one name when model = backend');
});

test('metadata: without usage the rate is an estimate, labelled as such, never chars/s', () => {
  const text = 'x'.repeat(800); // ~200 tokens over 2 s
  const line = metaText({ ...meta, usage: undefined }, text);
  assert.equal(line, 'mock · mock-1 · first token 310 ms · ~100 tok/s (estimated) · 2.3 s');
  assert.doesNotMatch(line, /chars/);
});

test('metadata: the same fields whatever the outcome', () => {
  // stopped (usage absent), error before any text, interrupted with no timings at all
  assert.match(metaText({ backend: 'mock', model: 'mock-1', first_chunk_ms: 50, elapsed_ms: 1500 }, 'partial'),
    /^mock · mock-1 · first token 50 ms · ~\d+(\.\d)? tok\/s \(estimated\) · 1\.5 s$/);
  assert.equal(metaText({ backend: 'mock', elapsed_ms: 12 }, ''), 'mock · 12 ms');
  assert.equal(metaText({ backend: 'openai' }, 'text'), 'openai');
  assert.equal(metaText(undefined, 'text'), '');
});

test('thinking: live, then how long the model thought', async () => {
  const { thinkingLabel } = await import('../../Frontend/view.js');
  assert.equal(thinkingLabel({ thinking: 'hmm', text: '' }, true), 'Thinking…');
  assert.equal(thinkingLabel({ thinking: 'hmm', text: 'Hi', meta: { thought_ms: 2340 } }, true), 'Thought for 2.3 s');
  assert.equal(thinkingLabel({ thinking: 'hmm', text: 'Hi', meta: { thought_ms: 420 } }, false), 'Thought for 420 ms');
  assert.equal(thinkingLabel({ thinking: 'hmm', text: 'Hi', meta: {} }, false), 'Thoughts', 'no timing after a reload');
});
