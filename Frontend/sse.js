// Server-Sent Events parsing, apart from fetch and the DOM so node can test it.
// Follows the WHATWG event-stream rules that matter for Runnel's stream (README "The wire format"):
// pieces may split anywhere, lines end in CRLF, LF or CR, `:` lines are comments,
// `data:` lines (space optional) join with "\n", a blank line dispatches the event.

/** The payload yielded when an event's data is not JSON. */
const invalidEvent = (data) => ({
  error: { code: 'invalid_event', message: `The server sent an event that is not JSON: ${data.slice(0, 80)}` },
});

/**
 * Incremental parser: feed it decoded text pieces, get back complete events.
 *
 *   const p = new SSEParser();
 *   p.push('data: {"chunk":"He');   // → []
 *   p.push('llo"}\n\n');            // → [{chunk: "Hello"}]
 *
 * With `{ json: false }` it returns `{ event, data, id }` records instead of parsed data.
 */
export class SSEParser {
  constructor({ json = true } = {}) {
    this.json = json;
    this.rest = '';      // an incomplete line carried to the next piece
    this.skipLF = false; // the last piece ended in CR: a leading LF belongs to it
    this.data = [];
    this.event = '';
    this.id = '';
  }

  /** Parses one decoded piece; returns the events it completed, in order. */
  push(text) {
    const out = [];
    let s = this.rest + text;
    let start = 0;
    if (this.skipLF && s[0] === '\n') start = 1;
    this.skipLF = false;
    const eol = /[\r\n]/g;
    for (;;) {
      eol.lastIndex = start;
      const m = eol.exec(s);
      if (!m) break;
      const i = m.index;
      this.line(s.slice(start, i), out);
      if (s[i] === '\r') {
        if (i + 1 === s.length) this.skipLF = true;
        else if (s[i + 1] === '\n') { start = i + 2; continue; }
      }
      start = i + 1;
    }
    this.rest = s.slice(start);
    return out;
  }

  line(line, out) {
    if (line === '') return this.dispatch(out);
    if (line[0] === ':') return; // comment, e.g. ": ping"
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    // "retry" and unknown fields are ignored.
  }

  dispatch(out) {
    const data = this.data.join('\n');
    const has = this.data.length > 0;
    const record = { event: this.event || 'message', data, id: this.id };
    this.data = [];
    this.event = '';
    if (!has) return;
    if (!this.json) return void out.push(record);
    try { out.push(JSON.parse(data)); } catch { out.push(invalidEvent(data)); }
  }
}

/**
 * Reads a fetch `Response` carrying an event stream; yields each event's parsed JSON, or
 * with `{ ids: true }` records `{ event, id }` where `id` is the stream's last event id
 * (what a resumed read starts after).
 * A trailing event without its blank line is dropped (the stream was cut short).
 * Leaving the loop early (or an abort) cancels the body.
 */
export async function* readEvents(response, { ids = false } = {}) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SSEParser({ json: false });
  let done = false;
  try {
    while (!done) {
      const r = await reader.read();
      done = r.done;
      for (const record of parser.push(done ? decoder.decode() : decoder.decode(r.value, { stream: true }))) {
        let event;
        try { event = JSON.parse(record.data); } catch { event = invalidEvent(record.data); }
        yield ids ? { event, id: record.id } : event;
      }
    }
  } finally {
    if (done) reader.releaseLock();
    else reader.cancel().catch(() => {});
  }
}
