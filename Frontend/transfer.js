// Export a conversation (Markdown: the branch on screen; JSON: every branch) and import
// JSON back. Pure functions (node tests them); app.js does the downloading and the file reading.
import { path } from './branches.js';
import { randomId } from './store.js';

export const FORMAT = 'runnel.conversation';
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024; // localStorage holds about this much in all
const MAX_MESSAGES = 10_000;

/** The branch on screen as Markdown: a heading per turn. */
export function toMarkdown(conv) {
  const turns = path(conv).map((m) => `## ${m.role === 'user' ? 'You' : 'Runnel'}\n\n${m.text}`);
  return `# ${conv.title || 'Conversation'}\n\n${turns.join('\n\n')}\n`;
}

/** The whole conversation (every branch) as JSON text that `fromJSON` reads back. */
export function toJSON(conv) {
  const messages = conv.nodes.map(({ id, parent, role, text, status, meta }) => ({ id, parent, role, text, status, meta }));
  return JSON.stringify({ format: FORMAT, version: 1, title: conv.title, head: conv.head, messages }, null, 2);
}

/** A file name for `conv` with extension `ext`: its title's words, else "conversation". */
export const fileName = (conv, ext) =>
  `${(conv.title || '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'conversation'}.${ext}`;

/**
 * Reads an exported conversation: `{ title, nodes, head }`, or throws an Error whose message
 * says what is wrong. The file's ids only link its messages: each gets a new one.
 */
export function fromJSON(text) {
  let data;
  try { data = JSON.parse(text); } catch { throw new Error('the file is not JSON'); }
  if (data?.format !== FORMAT) throw new Error(`the file is not a Runnel conversation (no "format": "${FORMAT}")`);
  if (data.version !== 1) throw new Error(`version ${data.version} is not supported (1 is)`);
  const list = data.messages;
  if (!Array.isArray(list) || !list.length) throw new Error('"messages" must be a non-empty array');
  if (list.length > MAX_MESSAGES) throw new Error(`more than ${MAX_MESSAGES} messages`);
  const seen = new Map(); // the file's id → ours
  const num = (v) => (Number.isFinite(v) ? v : undefined);
  const str = (v) => (typeof v === 'string' ? v.slice(0, 200) : undefined);
  const nodes = list.map((m, i) => {
    const at = `message ${i + 1}`;
    if (!m || typeof m !== 'object') throw new Error(`${at} is not an object`);
    if (typeof m.id !== 'string' || !m.id || seen.has(m.id)) throw new Error(`${at} has a missing or repeated "id"`);
    if (m.role !== 'user' && m.role !== 'assistant') throw new Error(`${at}: "role" must be "user" or "assistant"`);
    if (typeof m.text !== 'string') throw new Error(`${at}: "text" must be a string`);
    if (m.parent != null && !seen.has(m.parent)) throw new Error(`${at}: "parent" must name an earlier message`);
    seen.set(m.id, randomId('m_'));
    if (m.role === 'user') return { id: seen.get(m.id), parent: seen.get(m.parent) ?? null, role: m.role, text: m.text };
    const status = ['done', 'stopped', 'interrupted'].includes(m.status) ? m.status : 'done';
    const k = m.meta ?? {};
    const meta = { backend: str(k.backend), model: str(k.model), first_chunk_ms: num(k.first_chunk_ms), elapsed_ms: num(k.elapsed_ms) };
    return { id: seen.get(m.id), parent: seen.get(m.parent) ?? null, role: m.role, text: m.text, status, meta };
  });
  const head = seen.get(data.head) ?? nodes[nodes.length - 1].id;
  const title = typeof data.title === 'string' ? data.title.slice(0, 200) : '';
  return { title, nodes, head };
}
