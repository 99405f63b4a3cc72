// A conversation as a tree: every message keeps its `parent` (null for the first), `conv.head`
// names the last message of the branch on screen. Editing a sent message adds a sibling
// (same parent), so earlier branches stay and ‹ 1/2 › switches between them.

/** The messages of the current branch, first to `conv.head`. */
export function path(conv) {
  const byId = new Map(conv.nodes.map((m) => [m.id, m]));
  const out = [];
  for (let m = byId.get(conv.head); m && out.length <= conv.nodes.length; m = byId.get(m.parent)) out.push(m);
  return out.reverse();
}

/** Adds `msg` after the current head (or after `parent` when given) and makes it the head. */
export function append(conv, msg, parent = conv.head ?? null) {
  msg.parent = parent;
  conv.nodes.push(msg);
  conv.head = msg.id;
  return msg;
}

/** Removes a message with no replies of its own (Regenerate replaces the last reply). */
export function drop(conv, msg) {
  if (conv.nodes.some((m) => m.parent === msg.id)) return;
  conv.nodes = conv.nodes.filter((m) => m !== msg);
  if (conv.head === msg.id) conv.head = msg.parent;
}

/** The versions of `msg` (messages of its role with its parent), oldest first, and its place among them. */
export function versions(conv, msg) {
  const list = conv.nodes.filter((m) => m.parent === msg.parent && m.role === msg.role);
  return { list, index: list.indexOf(msg) };
}

/** Shows the branch through `msg`: down to its newest last descendant. */
export function showBranch(conv, msg) {
  let m = msg;
  for (let next; (next = conv.nodes.findLast((n) => n.parent === m.id));) m = next;
  conv.head = m.id;
}

/** The most `history` holds: the server's default `--max-turns`, and half its 1 MiB body (README "The chat UI"). */
export const HISTORY_MAX_TURNS = 200;
export const HISTORY_MAX_BYTES = 512 * 1024;
const utf8 = new TextEncoder();

/**
 * The latest exchanges before `msg` on its branch, as the API's `history` (README "History in
 * the request"), within HISTORY_MAX_TURNS and HISTORY_MAX_BYTES. A user turn whose reply has
 * no text (failed, stopped at once) is left out with it, so turns alternate.
 */
export function historyBefore(conv, msg, maxTurns = HISTORY_MAX_TURNS, maxBytes = HISTORY_MAX_BYTES) {
  const before = path({ nodes: conv.nodes, head: msg.parent });
  const pairs = [];
  before.forEach((m, i) => {
    const reply = before[i + 1];
    if (m.role === 'user' && reply?.role === 'assistant' && reply.text) pairs.push([m.text, reply.text]);
  });
  const turns = [];
  let bytes = 0;
  for (const [asked, answered] of pairs.reverse()) {
    bytes += utf8.encode(asked).length + utf8.encode(answered).length;
    if (turns.length + 2 > maxTurns || bytes > maxBytes) break;
    turns.unshift({ role: 'user', content: asked }, { role: 'assistant', content: answered });
  }
  return turns;
}
