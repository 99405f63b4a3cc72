// The conversation kept in sessionStorage, so a reload (hot or manual) restores it.

const KEY = 'runnel.chat.v1';

/** A random id of [A-Za-z0-9_-] (works on plain-http LAN origins, where randomUUID is absent). */
export function randomId(prefix = '') {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A new, empty conversation. */
export const freshChat = (backend = '') => ({ id: randomId('c_'), backend, messages: [] });

/** The saved conversation, or a fresh one; a reply cut off by a reload becomes "interrupted". */
export function loadChat() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY));
    if (saved && /^[\w-]{1,128}$/.test(saved.id) && Array.isArray(saved.messages)) {
      for (const m of saved.messages) if (m.status === 'streaming') m.status = 'interrupted';
      return saved;
    }
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
