// The conversation kept in sessionStorage, so a reload (hot or manual) restores it.

const KEY = 'runnel.chat.v1';

/** A random id of [A-Za-z0-9_-] (works on plain-http LAN origins, where randomUUID is absent). */
export function randomId(prefix = '') {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A new, empty conversation. */
export const freshChat = (backend = '') => ({ id: randomId('c_'), backend, messages: [] });

/** Whether `id` is a conversation id the server takes. */
export const isConversationId = (id) => typeof id === 'string' && /^[\w-]{1,128}$/.test(id);

/**
 * The saved conversation, or a fresh one. A reply cut off by a reload stays "streaming"
 * with its reply id and last event id: the page picks it up where it left off.
 */
export function loadChat() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY));
    if (saved && isConversationId(saved.id) && Array.isArray(saved.messages)) return saved;
  } catch {
    // Unreadable or unavailable storage: start over.
  }
  return freshChat();
}

let timer = 0;

/** Saves now (pagehide, end of a reply) or, with `soon`, at most every 400 ms while streaming. */
export function saveChat(chat, soon = false) {
  if (soon) {
    if (!timer) timer = setTimeout(() => saveChat(chat), 400);
    return;
  }
  clearTimeout(timer);
  timer = 0;
  try {
    sessionStorage.setItem(KEY, JSON.stringify(chat));
  } catch {
    // Storage full or disabled: the chat still works, it just won't survive a reload.
  }
}
