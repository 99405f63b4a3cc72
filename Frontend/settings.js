// The settings panel: backend, model, system prompt, temperature and max tokens, kept in
// localStorage and sent with every message (README "POST /api/message — the wire format").

const KEY = 'runnel.settings.v1';

/** The saved settings: {backend, model, system, temperature, max_tokens}, '' where unset. */
export function loadSettings() {
  let s = {};
  try { s = JSON.parse(localStorage.getItem(KEY)) ?? {}; } catch { /* unreadable: defaults */ }
  const str = (v) => (typeof v === 'string' ? v : '');
  return { backend: str(s.backend), model: str(s.model), system: str(s.system), temperature: str(s.temperature), max_tokens: str(s.max_tokens) };
}

/**
 * The POST body's options for `settings`: only those set, numbers in range (temperature
 * 0–2, max_tokens a whole number 1–1000000, README "The wire format"); others are left out
 * so the backend's defaults apply.
 */
export function requestOptions(settings) {
  const out = {};
  if (settings.backend) out.backend = settings.backend;
  if (settings.model.trim()) out.model = settings.model.trim();
  if (settings.system.trim()) out.system = settings.system;
  const t = settings.temperature === '' ? NaN : Number(settings.temperature);
  if (t >= 0 && t <= 2) out.temperature = t;
  const m = settings.max_tokens === '' ? NaN : Number(settings.max_tokens);
  if (Number.isInteger(m) && m >= 1 && m <= 1e6) out.max_tokens = m;
  return out;
}

/**
 * Wires the panel (a <dialog>) to `settings`, saving on each change; `changed()` runs after.
 * Returns `setBackends(list, fallback)` (the list from /api/backends) and `model()` (the
 * model replies will come from: the one set, else the backend's default).
 */
export function initSettings(settings, changed) {
  const $ = (id) => document.getElementById(id);
  const panel = $('settings');
  const form = panel.querySelector('form');
  const fields = ['backend', 'model', 'system', 'temperature', 'max_tokens'];
  let backends = [];

  const show = () => {
    for (const f of fields) if (form.elements[f].value !== settings[f]) form.elements[f].value = settings[f];
    settings.backend = form.elements.backend.value; // the list may not hold the saved one
    const b = backends.find((x) => x.name === settings.backend);
    form.elements.model.placeholder = b?.model ? `default: ${b.model}` : 'the backend’s default';
    $('local-note').hidden = b?.kind !== 'local';
  };
  const save = () => {
    for (const f of fields) settings[f] = form.elements[f].value;
    try { localStorage.setItem(KEY, JSON.stringify(settings)); } catch { /* storage off: this page only */ }
    show();
    changed();
  };
  form.addEventListener('input', save);
  form.addEventListener('change', save); // a <select> set by script fires only this
  form.addEventListener('submit', (e) => { e.preventDefault(); panel.close(); });
  $('open-settings').addEventListener('click', () => panel.showModal());
  panel.addEventListener('click', (e) => { if (e.target === panel) panel.close(); }); // the backdrop

  const model = () => settings.model.trim() || backends.find((b) => b.name === settings.backend)?.model || '';
  function setBackends(list, fallback) {
    backends = list;
    const select = form.elements.backend;
    const names = list.map((b) => b.name);
    select.replaceChildren(...list.map((b) => new Option(b.model && b.model !== b.name ? `${b.name} · ${b.model}` : b.name, b.name)));
    if (!list.length) select.append(new Option('server default', ''));
    if (!names.includes(settings.backend)) settings.backend = names.includes(fallback) ? fallback : (names[0] ?? '');
    show();
    changed();
  }
  return { setBackends, model };
}
