// The conversations sidebar (a drawer up to 600px wide): newest first, search, rename in
// place, delete on a second click. Arrow keys, Home and End move along the list.
import { h } from './view.js';
import { listChats, searchChats } from './store.js';

const $ = (id) => document.getElementById(id);

/** Wires the sidebar; `current()` is the shown conversation's id, the rest act on one by id. */
export function initSidebar({ current, open, rename, remove }) {
  const side = $('sidebar');
  const list = $('conversations');
  const search = $('search');
  const narrow = matchMedia('(max-width: 600px)');

  const tool = (action, label, text) =>
    h('button', { type: 'button', class: 'conv-tool', 'data-action': action, 'aria-label': label, title: label }, text);

  function render() {
    const q = search.value.trim();
    const entries = q ? searchChats(q) : listChats();
    list.replaceChildren(...entries.map((e) => h('li', { class: 'conv', 'data-id': e.id, 'data-testid': 'conversation' },
      h('button', { type: 'button', class: 'conv-open', 'data-action': 'open', 'aria-current': e.id === current() ? 'page' : null }, e.title),
      tool('rename', `Rename “${e.title}”`, '✎'),
      tool('delete', `Delete “${e.title}”`, '×'))));
    $('no-chats').textContent = entries.length ? '' : q ? 'No conversation matches.' : 'No conversations yet.';
  }

  function setOpen(on) {
    side.classList.toggle('open', on);
    $('scrim').hidden = !on || !narrow.matches;
    side.inert = narrow.matches && !on; // a closed drawer takes no focus, an open one all of it
    document.querySelector('.main').inert = narrow.matches && on;
    $('toggle-sidebar').setAttribute('aria-expanded', String(on));
    if (on && narrow.matches) (list.querySelector('[aria-current]') || search).focus();
  }

  function startRename(li) {
    const title = li.querySelector('.conv-open');
    const input = h('input', { class: 'conv-rename', 'aria-label': 'New title', 'data-testid': 'rename-input', maxlength: '200' });
    input.value = title.textContent;
    let done = false;
    const finish = (keep) => {
      if (done) return;
      done = true;
      if (keep) rename(li.dataset.id, input.value);
      render();
      list.querySelector(`[data-id="${li.dataset.id}"] .conv-open`)?.focus();
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); finish(true); }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); finish(false); }
    });
    input.addEventListener('blur', () => finish(true));
    title.replaceWith(input);
    input.select();
  }

  list.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    const li = b?.closest('li');
    if (!li) return;
    const id = li.dataset.id;
    if (b.dataset.action === 'open') {
      open(id);
      if (narrow.matches) setOpen(false);
    } else if (b.dataset.action === 'rename') {
      startRename(li);
    } else if (b.dataset.confirm != null) {
      remove(id);
      (list.querySelector('.conv-open') || search).focus();
    } else {
      b.dataset.confirm = ''; // a second click deletes
      b.textContent = 'Delete?';
      b.addEventListener('blur', render, { once: true });
    }
  });

  list.addEventListener('keydown', (e) => {
    const items = [...list.querySelectorAll('.conv-open')];
    const at = items.indexOf(document.activeElement);
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[e.key];
    if (at < 0 || to == null) return;
    e.preventDefault();
    items[Math.max(0, Math.min(items.length - 1, to))].focus();
  });

  search.addEventListener('input', render);
  search.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); list.querySelector('.conv-open')?.focus(); }
  });
  $('toggle-sidebar').addEventListener('click', () => setOpen(!side.classList.contains('open')));
  $('scrim').addEventListener('click', () => setOpen(false));
  side.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && narrow.matches && side.classList.contains('open')) { setOpen(false); $('toggle-sidebar').focus(); }
  });
  narrow.addEventListener('change', () => setOpen(false));
  addEventListener('storage', render); // another tab changed the list
  setOpen(false);
  render();
  return { render, setOpen, focusSearch: () => { setOpen(true); search.focus(); } };
}
