// Tests for Frontend/sse.js: run with `node --test Tests/Frontend/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SSEParser, readEvents } from '../../Frontend/sse.js';

/** Feeds pieces to a fresh parser and collects every event. */
function parseAll(pieces, options) {
  const p = new SSEParser(options);
  return pieces.flatMap((piece) => p.push(piece));
}

/** Every way of cutting `text` in two, plus one character at a time. */
function* splits(text) {
  for (let i = 0; i <= text.length; i++) yield [text.slice(0, i), text.slice(i)];
  yield [...text];
}

const STREAM = [
  'data: {"chunk":"Hello"}\n\n',
  ': ping\n\n',
  'data: {"chunk":", world"}\r\n\r\n',
  'data:{"json_data":{"a":[1,2]}}\r\r',
  'data: {"end": true,\ndata: "full_response": "Hello, world"}\n\n',
].join('');
const EXPECTED = [
  { chunk: 'Hello' },
  { chunk: ', world' },
  { json_data: { a: [1, 2] } },
  { end: true, full_response: 'Hello, world' },
];

test('parses a whole stream in one piece', () => {
  assert.deepEqual(parseAll([STREAM]), EXPECTED);
});

test('events split at every position give the same events', () => {
  for (const pieces of splits(STREAM)) assert.deepEqual(parseAll(pieces), EXPECTED, JSON.stringify(pieces));
});

test('CRLF, LF and CR line endings', () => {
  for (const eol of ['\n', '\r\n', '\r']) {
    const text = `data: {"chunk":"a"}${eol}${eol}data: {"chunk":"b"}${eol}${eol}`;
    for (const pieces of splits(text)) {
      assert.deepEqual(parseAll(pieces), [{ chunk: 'a' }, { chunk: 'b' }], JSON.stringify({ eol, pieces }));
    }
  }
});

test('a CR ending one piece and an LF starting the next are one line ending', () => {
  const events = parseAll(['data: {"x":\r', '\ndata: 1}\r', '\n\r', '\n']);
  assert.deepEqual(events, [{ x: 1 }]);
});

test('comment lines are ignored, also between data lines', () => {
  const events = parseAll([': ping\n\n: hello\ndata: [1,\n: mid\ndata: 2]\n\n:\n\n']);
  assert.deepEqual(events, [[1, 2]]);
});

test('data with and without a space; only one leading space is removed', () => {
  const raw = parseAll(['data:a\ndata: b\ndata:  c\n\n'], { json: false });
  assert.deepEqual(raw, [{ event: 'message', data: 'a\nb\n c', id: '' }]);
});

test('multiple data lines are joined with a newline', () => {
  assert.deepEqual(parseAll(['data: {"chunk":\ndata: "x"}\n\n']), [{ chunk: 'x' }]);
  assert.deepEqual(parseAll(['data: "a\ndata: b"\n\n'], { json: false }).map((e) => e.data), ['"a\nb"']);
});

test('several events in one piece', () => {
  const text = Array.from({ length: 50 }, (_, i) => `data: {"chunk":"${i}"}\n\n`).join('');
  const events = parseAll([text]);
  assert.equal(events.length, 50);
  assert.deepEqual(events[49], { chunk: '49' });
});

test('event, id, retry and unknown fields do not disturb the data', () => {
  const raw = parseAll(['event: update\nid: 7\nretry: 10\nfoo: bar\ndata: 1\n\ndata: 2\n\n'], { json: false });
  assert.deepEqual(raw, [{ event: 'update', data: '1', id: '7' }, { event: 'message', data: '2', id: '7' }]);
});

test('a blank line without data dispatches nothing', () => {
  assert.deepEqual(parseAll(['\n\n\r\n\r\r', 'event: x\n\n']), []);
});

test('a trailing incomplete event is not emitted', () => {
  assert.deepEqual(parseAll(['data: {"chunk":"a"}\n\ndata: {"chunk":"b"}\n']), [{ chunk: 'a' }]);
  assert.deepEqual(parseAll(['data: {"chunk":"a"}\n\ndata: {"chu']), [{ chunk: 'a' }]);
});

test('data that is not JSON becomes an invalid_event error', () => {
  const [event] = parseAll(['data: nope\n\n']);
  assert.equal(event.error.code, 'invalid_event');
});

test('multi-byte UTF-8 split across chunks decodes with TextDecoder stream mode', () => {
  const text = 'data: {"chunk":"héllo — 日本語 🚀 ok"}\n\n';
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i <= bytes.length; i++) {
    for (const j of [i, Math.min(bytes.length, i + 1), Math.min(bytes.length, i + 3)]) {
      const decoder = new TextDecoder();
      const p = new SSEParser();
      const events = [
        ...p.push(decoder.decode(bytes.subarray(0, i), { stream: true })),
        ...p.push(decoder.decode(bytes.subarray(i, j), { stream: true })),
        ...p.push(decoder.decode(bytes.subarray(j), { stream: true })),
        ...p.push(decoder.decode()),
      ];
      assert.deepEqual(events, [{ chunk: 'héllo — 日本語 🚀 ok' }], `cut at ${i}, ${j}`);
    }
  }
});

/** A Response whose body yields the given byte arrays one read at a time. */
function responseOf(parts, onCancel) {
  const body = new ReadableStream({
    pull(controller) {
      if (parts.length) controller.enqueue(parts.shift());
      else controller.close();
    },
    cancel: onCancel,
  });
  return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
}

test('readEvents reads a fetch Response byte by byte', async () => {
  const bytes = new TextEncoder().encode('data: {"chunk":"🚀"}\r\n\r\n: ping\n\ndata: {"end":true,"full_response":"🚀"}\n\ndata: {"cut');
  const events = [];
  for await (const e of readEvents(responseOf(Array.from(bytes, (b) => Uint8Array.of(b))))) events.push(e);
  assert.deepEqual(events, [{ chunk: '🚀' }, { end: true, full_response: '🚀' }]);
});

test('leaving readEvents early cancels the body', async () => {
  let cancelled = false;
  const enc = new TextEncoder();
  const parts = [enc.encode('data: 1\n\n'), enc.encode('data: 2\n\n'), enc.encode('data: 3\n\n')];
  for await (const e of readEvents(responseOf(parts, () => { cancelled = true; }))) {
    assert.equal(e, 1);
    break;
  }
  assert.equal(cancelled, true);
});
