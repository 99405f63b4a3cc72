// Conversations kept in localStorage (each under its own key, plus an index for the sidebar);
// sessionStorage remembers which one this tab shows, so a reload (hot or manual) restores it.

const INDEX = 'runnel.index.v1';
const CONV = 'runnel.conv.v1.';
const CURRENT = 'runnel.current.v1';
const TITLE_CHARS = 60;

/** A random id of 128 bits in hex, unguessable (works on plain-http LAN origins, where randomUUID is absent). */
export function randomId(prefix = '') {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A new, empty conversation (listed once it has a message). */
export const freshChat = () => ({ id: randomId('c_'), title: '', nodes: [], head: null, updated: Date.now() });

/** Whether `id` is a conversation id the server takes. */
export const isConversationId = (id) => typeof id === 'string' && /^[\w-]{1,128}$/.test(id);

const read = (store, key) => {
  try { return JSON.parse(store.getItem(key)); } catch { return null; }
};
const write = (store, key, value) => {
  try { store.setItem(key, JSON.stringify(value)); return true; } catch { return false; } // full or disabled
};

/** The sidebar's entries, newest first: [{id, title, updated}]. */
export function listChats() {
  const list = read(localStorage, INDEX);
  return Array.isArray(list) ? list.filter((e) => isConversationId(e?.id)).sort((a, b) => b.updated - a.updated) : [];
}

/** A conversation's default title: its first line, cut to 60 characters. */
export function titleOf(conv) {
  const first = conv.nodes.find((m) => m.role === 'user')?.text ?? '';
  const line = first.trim().split('\n')[0];
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line || 'New chat';
}

/**
 * A stored conversation, or null. A reply cut off by a reload stays "streaming" with its
 * reply id and last event id: the page picks it up where it left off.
 */
export function loadChat(id) {
  const c = isConversationId(id) ? read(localStorage, CONV + id) : null;
  return c && c.id === id && Array.isArray(c.nodes) ? c : null;
}

/** The conversation this tab showed last (empty again if it had no message yet, or was deleted), or null. */
export function currentChat() {
  const id = read(sessionStorage, CURRENT) ?? upgrade();
  return isConversationId(id) ? loadChat(id) ?? { ...freshChat(), id } : null;
}

/** Moves a tab's chat kept by the page before conversations (one list, no tree) into the store; its id. */
function upgrade() {
  const old = read(sessionStorage, 'runnel.chat.v1');
  sessionStorage.removeItem('runnel.chat.v1');
  if (!isConversationId(old?.id) || !Array.isArray(old.messages)) return null;
  const conv = { ...freshChat(), id: old.id, nodes: [] };
  for (const m of old.messages) {
    conv.nodes.push({ ...m, parent: conv.head });
    conv.head = m.id;
  }
  saveChat(conv);
  return conv.id;
}

/** Whether a `storage` event's key is the stored copy of conversation `id` (another tab saved it). */
export const isChatKey = (key, id) => key === CONV + id;

/** Makes `conv` this tab's conversation (kept across reloads). */
export const showing = (conv) => write(sessionStorage, CURRENT, conv.id);

const timers = new Map();

/** Saves now (pagehide, end of a reply) or, with `soon`, at most every 400 ms while streaming. */
export function saveChat(conv, soon = false) {
  if (soon) {
    if (!timers.has(conv.id)) timers.set(conv.id, setTimeout(() => saveChat(conv), 400));
    return;
  }
  clearTimeout(timers.get(conv.id));
  timers.delete(conv.id);
  if (!conv.nodes.length) return; // an empty chat is not listed
  if (!conv.titled) conv.title = titleOf(conv);
  write(localStorage, CONV + conv.id, conv);
  const entry = { id: conv.id, title: conv.title, updated: conv.updated };
  write(localStorage, INDEX, [entry, ...listChats().filter((e) => e.id !== conv.id)]);
}

/** Gives a conversation the title `title` (its first line again when blank). */
export function renameChat(conv, title) {
  conv.titled = Boolean(title.trim());
  conv.title = title.trim().slice(0, 200);
  saveChat(conv);
}

export function deleteChat(id) {
  clearTimeout(timers.get(id));
  timers.delete(id);
  localStorage.removeItem(CONV + id);
  write(localStorage, INDEX, listChats().filter((e) => e.id !== id));
}

/** The entries whose title or any message contains every word of `query` (case-insensitive). */
export function searchChats(query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return listChats();
  return listChats().filter((e) => {
    const c = loadChat(e.id);
    const hay = [e.title, ...(c?.nodes ?? []).map((m) => m.text)].join('\n').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}
